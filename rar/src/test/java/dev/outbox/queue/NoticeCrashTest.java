package dev.outbox.queue;

import dev.outbox.api.QueueFullException;
import dev.outbox.store.ForwardingStore;
import dev.outbox.store.MessageStore;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.StoreException;
import dev.outbox.store.StoredMessage;
import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a notice is sent exactly once across a crash on either side of its own store write,
 * over the journal: killed right after the write that marks a recipient "notice owed", the
 * restarted engine composes the notice from what the journal kept and sends it once; killed after
 * the notice is stored but before the marks it pays are cleared, the dead engine has not let it out,
 * and the restarted one sends the stored notice and makes none again; the same for a delay notice
 * stored before the message's mark.
 *
 * <p>The crash is a {@link DyingStore} over the journal: the write it dies at reaches the disk, and
 * every later write fails as for a dead process; the test then abandons that engine (its store
 * closed, as IntentCrashTest does) and starts a new one over a new JournalStore on the same directory.
 */
class NoticeCrashTest {

    private static final String NO_SUCH_USER = "550 5.1.1 <bob@example.org>: no such user";
    private static final Submission MAIL = EngineFixture.mail("bounced across a crash", "bob@example.org");

    @TempDir
    private Path directory;
    /** Every store the engine opened, the first one (the one that dies) first. */
    private final List<DyingStore> opened = new CopyOnWriteArrayList<>();

    /** An engine over the journal in {@link #directory}, whose first store dies right after the write {@code death} matches. */
    private EngineFixture engineDyingAfter(DyingStore.Moment death, Duration delayNoticeAfter) {
        return new EngineFixture(() -> {
            DyingStore store = new DyingStore(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20),
                    opened.isEmpty() ? death : DyingStore.Moment.NEVER);
            opened.add(store);
            return store;
        }).notices(delayNoticeAfter);
    }

    /** The process dies: nothing more of the old engine reaches the disk; a new engine recovers the same directory. */
    private static MailQueue crashAndRestart(EngineFixture engine) {
        engine.store().close();
        return engine.start();
    }

    /** Starts {@code engine} with bob@example.org refused at RCPT and the sender's server up, and submits {@link #MAIL} to bob. */
    private static MailQueue startAndBounce(EngineFixture engine) {
        engine.server().script(Rules.on(Command.RCPT).reply(NO_SUCH_USER));
        engine.server("example.com"); // before anything is routed: notices to the sender go there
        MailQueue queue = engine.start();
        engine.submit(MAIL);
        return queue;
    }

    /** Waits until the sender has the bounce about {@link #MAIL}, checks it, and that it is the only notice and nothing is left to send. */
    private static void assertTheOneBounce(EngineFixture engine) {
        ScriptedSmtpServer sender = engine.server("example.com");
        ParsedDsn dsn = ParsedDsn.awaitNotices(engine, sender, 1).get(0);
        dsn.assertFailed("bob@example.org", "5.1.1", engine.server().host(), "smtp; " + NO_SUCH_USER, EngineFixture.START);
        dsn.assertReturns(MAIL);
        engine.await(() -> engine.store().messageCount() == 0, "the original and its notice gone from the store");
        assertEquals(1, ParsedDsn.notices(sender).size());
    }

    @Test
    void killedRightAfterTheMarkIsWrittenTheRestartComposesTheNoticeAndSendsItOnce() {
        DyingStore.Moment markWritten = (write, id, changes) -> write == DyingStore.Write.UPDATE
                && changes.stream().anyMatch(change -> change.status().noticePending());
        try (EngineFixture engine = engineDyingAfter(markWritten, Duration.ZERO)) {
            MailQueue dying = startAndBounce(engine);
            engine.await(() -> opened.get(0).dead() && dying.bouncedCount() == 1 && engine.idle(), "dead right after writing the mark");
            assertEquals(0, dying.bounceNoticeCount(), "the dying engine could store no notice");

            MailQueue restarted = crashAndRestart(engine);
            assertTheOneBounce(engine); // every field from what the journal kept of the reply: code, text, host and time
            assertEquals(1, restarted.bounceNoticeCount(), "composed from the mark the journal kept");
            assertEquals(1, engine.server().count(Command.RCPT), "the bounced recipient is not tried again");
        }
    }

    @Test
    void killedAfterTheNoticeIsStoredButBeforeItsMarkIsClearedTheRestartSendsTheStoredNoticeOnly() {
        DyingStore.Moment noticeStored = (write, id, changes) -> write == DyingStore.Write.ADD && SenderNotices.originalOf(id) != null;
        try (EngineFixture engine = engineDyingAfter(noticeStored, Duration.ZERO)) {
            MailQueue dying = startAndBounce(engine);
            engine.await(() -> opened.get(0).dead() && engine.idle(), "dead right after storing the notice");
            assertEquals(1, dying.bounceNoticeCount(), "the notice was stored");
            assertEquals(0, engine.server("example.com").connectionsAccepted(), "not let out while the mark it pays is on disk");

            MailQueue restarted = crashAndRestart(engine);
            assertTheOneBounce(engine);
            assertEquals(0, restarted.bounceNoticeCount(), "the stored notice pays the mark: none is made again");
        }
    }

    @Test
    void killedAfterTheDelayNoticeIsStoredButBeforeTheMessagesMarkTheRestartSendsItOnce() {
        DyingStore.Moment delayStored = (write, id, changes) -> write == DyingStore.Write.ADD && SenderNotices.isDelayNotice(id);
        try (EngineFixture engine = engineDyingAfter(delayStored, Duration.ofHours(4))) {
            ScriptedSmtpServer recipients = engine.server();
            ScriptedSmtpServer sender = engine.server("example.com");
            recipients.script(Rules.on(Command.RCPT).reply("451 4.2.0 Mailbox temporarily unavailable"));
            MailQueue dying = engine.start();
            engine.submit("delayed across a crash", "bob@example.org");
            engine.await(() -> dying.deferredCount() == 1 && engine.idle(), "deferred");
            engine.clock.advance(Duration.ofHours(4));
            dying.sweep();
            engine.await(() -> opened.get(0).dead() && engine.idle(), "dead right after storing the delay notice");
            assertEquals(1, dying.delayNoticeCount());
            assertEquals(0, sender.connectionsAccepted(), "not let out while the message's mark is not on disk");

            MailQueue restarted = crashAndRestart(engine);
            ParsedDsn dsn = ParsedDsn.awaitNotices(engine, sender, 1).get(0);
            assertEquals("delayed", dsn.field("bob@example.org", "Action"));
            engine.clock.advance(Duration.ofHours(1));
            restarted.sweep();
            engine.awaitIdle();
            assertEquals(0, restarted.delayNoticeCount(), "the stored delay notice set the message's mark: none is made again");
            assertEquals(1, ParsedDsn.notices(sender).size());
        }
    }

    /**
     * A {@link MessageStore} over another that dies as the process would: the first write that
     * {@link Moment} matches is done (it reaches the store beneath), and from then on every add,
     * update and remove throws {@link StoreException} and changes nothing. Reads pass through.
     */
    static final class DyingStore extends ForwardingStore {

        enum Write { ADD, UPDATE, REMOVE }

        /** The write after which the process dies. */
        interface Moment {
            Moment NEVER = (write, id, changes) -> false;

            boolean matches(Write write, String id, List<RecipientChange> changes);
        }

        private final Moment death;
        private volatile boolean dead;

        DyingStore(MessageStore store, Moment death) {
            super(store);
            this.death = death;
        }

        /** True once the write it dies at is done. */
        boolean dead() {
            return dead;
        }

        /** Runs {@code write} unless the process is dead, and dies if it was the one. */
        private synchronized void write(Write write, String id, List<RecipientChange> changes, Runnable done) {
            if (dead) {
                throw new StoreException(write + " of " + id + " after the process died");
            }
            done.run();
            dead = death.matches(write, id, changes);
        }

        @Override
        public StoreEntry add(StoredMessage message, byte[] content) throws QueueFullException {
            return adding(message, () -> super.add(message, content));
        }

        @Override
        public StoreEntry addNotice(StoredMessage message, byte[] content) throws QueueFullException {
            return adding(message, () -> super.addNotice(message, content));
        }

        /** A store call that may refuse for want of room. */
        private interface Adding {
            StoreEntry run() throws QueueFullException;
        }

        private StoreEntry adding(StoredMessage message, Adding adding) throws QueueFullException {
            QueueFullException[] full = new QueueFullException[1];
            StoreEntry[] added = new StoreEntry[1];
            write(Write.ADD, message.id(), List.of(), () -> {
                try {
                    added[0] = adding.run();
                } catch (QueueFullException e) {
                    full[0] = e;
                }
            });
            if (full[0] != null) {
                throw full[0];
            }
            return added[0];
        }

        @Override
        public void update(StoreEntry entry, List<RecipientChange> changes, boolean delayNoticeSent) {
            write(Write.UPDATE, entry.id(), changes, () -> super.update(entry, changes, delayNoticeSent));
        }

        @Override
        public void remove(StoreEntry entry) {
            write(Write.REMOVE, entry.id(), List.of(), () -> super.remove(entry));
        }
    }
}
