package dev.outbox.testing;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed server certificate made at test time, so no key is committed: the JDK's
 * {@code keytool -genkeypair} writes an EC key pair and certificate into a PKCS12 file in a
 * directory the test owns, valid for two days, for the names given.
 *
 * <p>{@link #generate} runs keytool (about a second) and fails with its output when it fails;
 * {@link #serverContext()} is a TLS server context holding the key, for
 * {@link dev.outbox.testing.smtp.ScriptedSmtpServer#starttls}; {@link #clientContext()} trusts
 * it alone; {@link #writePem} and {@link #writeJks} write the certificate alone, as a client's
 * trust store.
 *
 * <p>Immutable after generation; thread-safe.
 */
public final class TestCertificate {

    private final KeyStore keys;
    private final char[] password;
    private final Certificate certificate;

    private TestCertificate(KeyStore keys, char[] password, Certificate certificate) {
        this.keys = keys;
        this.password = password;
        this.certificate = certificate;
    }

    /**
     * A certificate for {@code commonName} whose subject alternative names are
     * {@code subjectAlternativeNames} in keytool's form ("dns:localhost", "ip:127.0.0.1").
     */
    public static TestCertificate generate(Path directory, String commonName, String... subjectAlternativeNames) {
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        char[] password = HexFormat.of().formatHex(random).toCharArray();
        Path file = directory.resolve(commonName + "-" + System.nanoTime() + ".p12");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + commonName, "-validity", "2", "-storetype", "PKCS12",
                "-keystore", file.toString(), "-storepass", new String(password), "-keypass", new String(password)));
        if (subjectAlternativeNames.length > 0) {
            command.addAll(List.of("-ext", "SAN=" + String.join(",", subjectAlternativeNames)));
        }
        try {
            Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
            keytool.getOutputStream().close();
            String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
                keytool.destroyForcibly();
                throw new IllegalStateException("keytool failed to make a certificate for " + commonName + ": " + output);
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(file)) {
                keys.load(in, password);
            }
            return new TestCertificate(keys, password, keys.getCertificate("server"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run keytool or read " + file, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the key store keytool wrote: " + file, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while keytool ran", e);
        }
    }

    /** A TLS context that serves this certificate. */
    public SSLContext serverContext() {
        try {
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a TLS server context", e);
        }
    }

    /** A TLS client context that trusts this certificate and nothing else. */
    public SSLContext clientContext() {
        try {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            trusted.setCertificateEntry("server", certificate);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make an empty key store", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a TLS client context", e);
        }
    }

    /** A server context with no key at all: every handshake with it fails. */
    public static SSLContext brokenServerContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[0], null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a TLS context", e);
        }
    }

    /** Writes the certificate alone as PEM to {@code file} and returns it. */
    public Path writePem(Path file) {
        try {
            String pem = "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
            return Files.writeString(file, pem, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encode the certificate", e);
        }
    }

    /** Writes the certificate alone into a JKS store at {@code file} (its integrity password "changeit") and returns it. */
    public Path writeJks(Path file) {
        try (OutputStream out = Files.newOutputStream(file)) {
            KeyStore trust = KeyStore.getInstance("JKS");
            trust.load(null, null);
            trust.setCertificateEntry("server", certificate);
            trust.store(out, "changeit".toCharArray());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a JKS trust store", e);
        }
    }
}
