package dev.outbox.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Drops files from the operating system's page cache, so that the next read of them comes from
 * the disk, as after a reboot. Uses GNU {@code dd iflag=nocache count=0}, which asks the kernel
 * (posix_fadvise DONTNEED) to drop the cached pages of that one file; nothing else on the
 * machine is affected, and no privilege is needed. Pages must be clean, which synced files are.
 *
 * <p>{@link #evict} returns false where that is not possible (no GNU dd, another system), and the
 * caller then reports the cold figures as not measured.
 */
final class PageCache {

    private PageCache() {
    }

    static boolean evict(List<Path> files) throws InterruptedException {
        for (Path file : files) {
            try {
                Process dd = new ProcessBuilder("dd", "if=" + file.toAbsolutePath(), "iflag=nocache", "count=0", "status=none")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                if (!dd.waitFor(30, TimeUnit.SECONDS)) {
                    dd.destroyForcibly();
                    return false;
                }
                if (dd.exitValue() != 0) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
