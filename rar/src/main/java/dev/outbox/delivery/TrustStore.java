package dev.outbox.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collections;
import javax.net.ssl.SSLSocketFactory;

/**
 * The certificates a private smarthost's chain is verified against under
 * {@link TlsPolicy#REQUIRED}, instead of the JDK's trust store; the settings
 * {@code outbox.smarthost-trust-store} and {@code outbox.smarthost-trust-store-type}.
 *
 * <p>{@link #read} loads the file once, at start: a {@link Type#PEM} file of one or more
 * certificates (a CA bundle, as Postfix's {@code smtp_tls_CAfile}), or a {@link Type#JKS}
 * store. It is read without a password: a trust store holds only public certificates, so a
 * password would guard nothing secret, and the file's permissions are what keep it from being
 * changed. (A PKCS12 store made by keytool encrypts its certificates under its password and
 * cannot be read without it: export the certificates to PEM with {@code keytool -exportcert -rfc}.)
 *
 * <p>Immutable and thread-safe. Misuse: a file that cannot be read, holds no certificate or is
 * of another type throws {@link IllegalArgumentException} naming the file and the problem.
 */
public final class TrustStore {

    /** The file formats read. */
    public enum Type {
        PEM, JKS
    }

    private final Path path;
    private final Type type;
    private final int certificates;
    private final SSLSocketFactory verifying;

    private TrustStore(Path path, Type type, int certificates, SSLSocketFactory verifying) {
        this.path = path;
        this.type = type;
        this.certificates = certificates;
        this.verifying = verifying;
    }

    /** Loads the certificates of {@code path} and the TLS context that trusts only them. */
    public static TrustStore read(Path path, Type type) {
        KeyStore store;
        try (InputStream in = Files.newInputStream(path)) {
            if (type == Type.JKS) {
                store = KeyStore.getInstance("JKS");
                store.load(in, null); // no password: the integrity check is skipped, the certificates are read
            } else {
                store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                int n = 0;
                for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("certificate-" + n++, certificate);
                }
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the " + type + " trust store " + path + ": " + e.getMessage(), e);
        }
        int count = 0;
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isCertificateEntry(alias)) {
                    count++;
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot list the certificates of the trust store " + path + ": " + e.getMessage(), e);
        }
        if (count == 0) {
            throw new IllegalArgumentException("the " + type + " trust store " + path + " holds no trusted certificate");
        }
        return new TrustStore(path, type, count, TlsContexts.verifying(store));
    }

    public Path path() {
        return path;
    }

    public Type type() {
        return type;
    }

    /** Verifies a server's chain against these certificates only (the host name is checked by Angus). */
    SSLSocketFactory socketFactory() {
        return verifying;
    }

    @Override
    public String toString() {
        return type + " trust store " + path + " (" + certificates + (certificates == 1 ? " certificate)" : " certificates)");
    }
}
