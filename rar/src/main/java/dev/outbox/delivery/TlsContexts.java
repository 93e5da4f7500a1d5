package dev.outbox.delivery;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS client contexts Outbox's sessions start TLS with, made once and shared:
 * {@link #unverified()} accepts any certificate (opportunistic TLS, and required TLS towards
 * MX hosts, where encryption is the point and no name could be verified); {@link #jdkTrust()}
 * verifies chains against the JDK's trust store ({@code javax.net.ssl.trustStore}, else
 * {@code cacerts}); {@link #verifying} against given certificates only. Host names are checked
 * by Angus ({@code mail.smtp.ssl.checkserveridentity}), not here.
 *
 * <p>Thread-safe. Misuse: none; a JDK without TLS throws {@link IllegalStateException}.
 */
final class TlsContexts {

    private static final SSLSocketFactory UNVERIFIED = context(new TrustManager[] {new AnyCertificate()});

    private TlsContexts() {
    }

    static SSLSocketFactory unverified() {
        return UNVERIFIED;
    }

    static SSLSocketFactory jdkTrust() {
        return JdkTrust.FACTORY;
    }

    static SSLSocketFactory verifying(KeyStore certificates) {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(certificates);
            return context(trust.getTrustManagers());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a TLS context that trusts the given certificates: " + e.getMessage(), e);
        }
    }

    private static SSLSocketFactory context(TrustManager[] trust) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust, null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK offers no TLS client context: " + e.getMessage(), e);
        }
    }

    /** Loaded on first use: reading cacerts costs tens of milliseconds, and MX-only setups never need it. */
    private static final class JdkTrust {
        static final SSLSocketFactory FACTORY = verifying(null);
    }

    /**
     * Trusts every chain. Extended, so the JDK does not wrap it in a manager that checks the
     * host name after all.
     */
    private static final class AnyCertificate extends X509ExtendedTrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            throw new UnsupportedOperationException("Outbox is never a TLS server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            throw new UnsupportedOperationException("Outbox is never a TLS server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            throw new UnsupportedOperationException("Outbox is never a TLS server");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
