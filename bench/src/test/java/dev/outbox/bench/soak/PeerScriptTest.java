package dev.outbox.bench.soak;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Exchange;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a soak peer counts as in doubt: a transfer whose final dot was answered, until its
 * connection sends another command (Outbox records a delivery before its next command), so a
 * kill or a stop can send at most those again.
 */
class PeerScriptTest {

    private final PeerScript reliable = new PeerScript(0, new Random(1));

    @Test
    void aTransferIsInDoubtFromItsDotUntilTheConnectionsNextCommand() {
        reliable.react(exchange(Command.MAIL, 1, 0));
        reliable.react(exchange(Command.RCPT, 1, 0));
        reliable.react(exchange(Command.RCPT, 1, 1));
        reliable.react(exchange(Command.DATA, 1, 2));
        assertEquals(Map.of(), reliable.inDoubt(), "before the dot nothing is stored");

        reliable.react(exchange(Command.END_OF_DATA, 1, 2));
        reliable.react(exchange(Command.MAIL, 2, 0));
        reliable.react(exchange(Command.END_OF_DATA, 3, 1));
        assertEquals(Map.of(1, 2, 3, 1), reliable.inDoubt());

        reliable.react(exchange(Command.MAIL, 1, 0));
        reliable.react(exchange(Command.QUIT, 3, 0));
        assertEquals(Map.of(), reliable.inDoubt(), "the next command on each connection settles it");
    }

    @Test
    void aKillOfOutboxLeavesNothingInDoubt() {
        reliable.react(exchange(Command.END_OF_DATA, 4, 3));

        reliable.forgetConnections();

        assertEquals(Map.of(), reliable.inDoubt());
    }

    @Test
    void aReliablePeerNeverFaultsAndAnAngryOneDropsAfterTheDotCountingTheRecipients() {
        for (int i = 0; i < 1_000; i++) {
            reliable.react(exchange(Command.RCPT, 1, 0));
        }
        assertEquals(1_000, reliable.count(PeerScript.Fault.NONE));

        PeerScript angry = new PeerScript(40, new Random(1)); // the dot's chances (2.7%) times 40: a fault on every dot
        for (int i = 0; i < 1_000; i++) {
            angry.react(exchange(Command.END_OF_DATA, i, 2));
        }
        long drops = angry.count(PeerScript.Fault.DROP_AFTER_DOT);
        assertTrue(drops > 0 && angry.count(PeerScript.Fault.NONE) == 0, "drops " + drops);
        assertEquals(2 * drops, angry.droppedRecipients());
        assertEquals(angry.count(PeerScript.Fault.STALL), angry.inDoubt().size(), "a stalled dot is stored later: in doubt too");
    }

    @Test
    void twoViewsOfOneKillAreJoinedConnectionByConnection() {
        assertEquals(Map.of(1, 2, 2, 3, 3, 1), Peer.union(Map.of(1, 2, 2, 1), Map.of(2, 3, 3, 1)));
        assertEquals(6, Peer.total(Peer.union(Map.of(1, 2, 2, 1), Map.of(2, 3, 3, 1))));
    }

    private static Exchange exchange(Command command, int connection, int recipientsAccepted) {
        String line = command == Command.END_OF_DATA ? "." : command.name();
        return new Exchange(command, line, connection, 0, recipientsAccepted, 0);
    }
}
