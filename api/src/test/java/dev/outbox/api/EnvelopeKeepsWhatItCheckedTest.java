package dev.outbox.api;

import org.junit.jupiter.api.Test;

import java.util.AbstractList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Review of 6606d12: an Envelope must keep the very recipients it checked. Before, each
 * recipient was read once (get(i)), checked, and that string kept. Now the list is read again
 * after the check (pairwise comparison, then List.copyOf, which reads it through toArray), so a
 * list whose elements change between reads (a view over something another thread changes, a
 * lazily mapped list) gets an address with CR LF into the envelope unchecked: an RCPT TO
 * injection, which is what Envelope exists to make impossible.
 */
class EnvelopeKeepsWhatItCheckedTest {

    /** Gives the valid address on the first read of each element, then something else: a list that changes under the reader. */
    private static final class ChangingList extends AbstractList<String> {
        private final String[] first;
        private final String later;
        private final boolean[] read;

        ChangingList(String later, String... first) {
            this.first = first;
            this.later = later;
            this.read = new boolean[first.length];
        }

        @Override
        public String get(int index) {
            if (read[index]) {
                return later;
            }
            read[index] = true;
            return first[index];
        }

        @Override
        public int size() {
            return first.length;
        }
    }

    @Test
    void anEnvelopeKeepsTheRecipientsItCheckedNotWhatTheListSaysLater() {
        String injected = "x@evil.example>\r\nRCPT TO:<victim@else.example";
        List<String> recipients = new ChangingList(injected, "ann@a.example", "bob@b.example");
        Envelope envelope;
        try {
            envelope = Envelope.of("s@x.example", recipients);
        } catch (IllegalArgumentException refused) {
            return; // refusing is as good as keeping what was checked
        }
        assertEquals(List.of("ann@a.example", "bob@b.example"), envelope.recipients(), "recipients kept unchecked");
    }

    @Test
    void anEnvelopeOfManyRecipientsKeepsTheRecipientsItChecked() {
        String injected = "x@evil.example>\r\nDATA";
        String[] valid = new String[12];
        for (int i = 0; i < valid.length; i++) {
            valid[i] = "r" + i + "@a.example";
        }
        Envelope envelope;
        try {
            envelope = Envelope.of("s@x.example", new ChangingList(injected, valid));
        } catch (IllegalArgumentException refused) {
            return;
        }
        assertEquals(List.of(valid), envelope.recipients(), "recipients kept unchecked");
    }
}
