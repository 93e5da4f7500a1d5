package dev.outbox.demo.sink;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A catch-all SMTP server for trying Outbox out: accepts every message for every recipient on
 * 127.0.0.1 and writes each copy it receives to a folder as an {@code .eml} file, with a line
 * on standard output. Not for production and never for tests of Outbox itself (those run
 * GreenMail and smtp-sink directly).
 *
 * <p>Usage: {@code CatchAllSink PORT FOLDER}.
 */
public final class CatchAllSink {

    private CatchAllSink() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: CatchAllSink PORT FOLDER");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Path folder = Files.createDirectories(Path.of(args[1]));
        GreenMail greenMail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        greenMail.start();
        Runtime.getRuntime().addShutdownHook(new Thread(greenMail::stop, "sink-stop"));
        System.out.println("[sink] catch-all SMTP listening on 127.0.0.1:" + port + "; messages are written to " + folder.toAbsolutePath());
        // Number on from what earlier runs left, so that no file of theirs is overwritten.
        int earlier;
        try (var files = Files.list(folder)) {
            earlier = (int) files.filter(f -> f.getFileName().toString().endsWith(".eml")).count();
        }
        int written = 0;
        while (true) {
            // Polls: GreenMail's waitForIncomingEmail counts only mail arriving after the call,
            // so a message landing between two calls would wait for the next one.
            Thread.sleep(200);
            MimeMessage[] received = greenMail.getReceivedMessages();
            for (; written < received.length; written++) {
                report(received[written], folder.resolve(String.format("%06d.eml", earlier + written + 1)));
            }
        }
    }

    private static void report(MimeMessage message, Path file) throws MessagingException, IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            message.writeTo(out);
        }
        Address[] to = message.getAllRecipients();
        System.out.println("[sink] received \"" + message.getSubject() + "\" from "
                + Arrays.toString(message.getFrom()) + " to " + (to == null ? "[]" : Arrays.toString(to)) + " -> " + file);
    }

}
