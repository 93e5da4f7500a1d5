package dev.outbox.store.journal;

import java.util.function.Supplier;

/** Runs something with a system property set, and puts the property back: the journal reads its switches when it opens. */
final class SystemProperty {

    private SystemProperty() {
    }

    static <T> T with(String name, String value, Supplier<T> action) {
        String before = System.setProperty(name, value);
        try {
            return action.get();
        } finally {
            if (before == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, before);
            }
        }
    }
}
