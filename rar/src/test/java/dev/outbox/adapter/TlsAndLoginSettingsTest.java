package dev.outbox.adapter;

import dev.outbox.delivery.SmarthostLogin;
import dev.outbox.delivery.TlsPolicy;
import dev.outbox.delivery.TrustStore;
import dev.outbox.testing.TestCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the TLS and AUTH settings as the adapter reads them at start: their defaults, the clear
 * refusals (a bad level or trust store, a username without a password and the reverse, a password
 * in a system property, a password file others may read, credentials that would go in plain
 * text), and that no refusal and no toString ever shows the password.
 */
class TlsAndLoginSettingsTest {

    private static final String PASSWORD = "hunter2-Secret";
    private static final Map<String, String> NONE = Map.of();

    @TempDir
    Path directory;

    @Test
    void theDefaultsAreOpportunisticTlsTheJdkTrustStoreAndNoLogin() {
        AdapterSettings settings = settings(NONE, NONE, NONE);

        assertEquals(TlsPolicy.OPPORTUNISTIC, settings.smtp().tls());
        assertNull(settings.smtp().trustStore());
        assertNull(settings.smtp().login());
    }

    @Test
    void theTlsLevelIsReadInAnyCaseAndABadOneIsRefused() {
        assertEquals(TlsPolicy.REQUIRED, settings(Map.of("Tls", " Required "), NONE, NONE).smtp().tls());
        assertEquals(TlsPolicy.NONE, settings(Map.of("Tls", "none"), NONE, NONE).smtp().tls());

        IllegalArgumentException bad = refused(Map.of("Tls", "may"), NONE, NONE);
        assertEquals("outbox.tls is \"may\": not a TLS level: expected none, opportunistic or required", bad.getMessage());
    }

    @Test
    void aTrustStoreIsReadAtStartAndABadOneIsRefusedNamingTheFile() {
        TestCertificate certificate = TestCertificate.generate(directory, "relay.test", "dns:relay.test");
        Path pem = certificate.writePem(directory.resolve("relay.pem"));
        Path jks = certificate.writeJks(directory.resolve("relay.jks"));

        TrustStore read = settings(Map.of("SmarthostTrustStore", pem.toString()), NONE, NONE).smtp().trustStore();
        assertEquals(pem, read.path());
        assertEquals("PEM trust store " + pem + " (1 certificate)", read.toString());
        assertEquals(TrustStore.Type.JKS, settings(Map.of("SmarthostTrustStore", jks.toString(), "SmarthostTrustStoreType", "jks"), NONE, NONE)
                .smtp().trustStore().type());

        IllegalArgumentException missing = refused(Map.of("SmarthostTrustStore", directory.resolve("none.pem").toString()), NONE, NONE);
        assertTrue(missing.getMessage().startsWith("outbox.smarthost-trust-store is \"" + directory.resolve("none.pem")
                + "\": cannot read the PEM trust store " + directory.resolve("none.pem")), missing.getMessage());
        IllegalArgumentException notPem = refused(Map.of("SmarthostTrustStore", jks.toString()), NONE, NONE);
        assertTrue(notPem.getMessage().contains("trust store " + jks), notPem.getMessage());
        IllegalArgumentException pkcs12 = refused(Map.of("SmarthostTrustStore", pem.toString(), "SmarthostTrustStoreType", "PKCS12"), NONE, NONE);
        assertEquals("outbox.smarthost-trust-store-type is \"PKCS12\": not a trust store type Outbox reads:"
                + " expected PEM or JKS", pkcs12.getMessage());
        IllegalArgumentException typeAlone = refused(Map.of("SmarthostTrustStoreType", "JKS"), NONE, NONE);
        assertEquals("outbox.smarthost-trust-store-type is set, but outbox.smarthost-trust-store names no file", typeAlone.getMessage());
    }

    @Test
    void aUsernameAndThePasswordFromTheEnvironmentMakeALoginThatNeverShowsThePassword() {
        AdapterSettings settings = settings(Map.of("SmarthostUsername", "ann"), Map.of("OUTBOX_SMARTHOST_PASSWORD", PASSWORD), NONE);

        SmarthostLogin login = settings.smtp().login();
        assertEquals("ann", login.username());
        assertFalse(login.withoutTls());
        assertFalse(settings.toString().contains(PASSWORD), settings.toString());
        assertTrue(settings.toString().contains("SmarthostLogin[username=ann, password=****, withoutTls=false]"), settings.toString());
    }

    @Test
    void thePasswordFileIsReadWithoutItsFinalLineBreak() throws Exception {
        Path file = passwordFile(PASSWORD + "\n", "rw-------");

        SmarthostLogin login = settings(Map.of("SmarthostUsername", "ann", "SmarthostPasswordFile", file.toString(),
                "SmarthostAuthWithoutTls", "TRUE"), NONE, NONE).smtp().login();

        assertEquals("ann", login.username());
        assertTrue(login.withoutTls());
        assertEquals("****", login.password().toString());
    }

    @Test
    void aPasswordFileThatOthersMayReadIsRefusedNamingItAndItsPermissions() throws Exception {
        Path file = passwordFile(PASSWORD, "rw-r-----");

        IllegalArgumentException refused = refused(Map.of("SmarthostUsername", "ann", "SmarthostPasswordFile", file.toString()), NONE, NONE);

        assertEquals("outbox.smarthost-password-file: " + file + " has permissions rw-r-----, so users other"
                + " than its owner may read or change it; only the owner may have access to a password file (chmod 600 " + file + ")",
                refused.getMessage());
    }

    @Test
    void anEmptyOrMissingPasswordFileIsRefused() throws Exception {
        Path empty = passwordFile("\n", "rw-------");
        assertEquals("outbox.smarthost-password-file: " + empty + " is empty",
                refused(Map.of("SmarthostUsername", "ann", "SmarthostPasswordFile", empty.toString()), NONE, NONE).getMessage());
        Path missing = directory.resolve("missing");
        assertTrue(refused(Map.of("SmarthostUsername", "ann", "SmarthostPasswordFile", missing.toString()), NONE, NONE).getMessage()
                .startsWith("outbox.smarthost-password-file: cannot read " + missing));
    }

    @Test
    void aUsernameWithoutAPasswordAndAPasswordWithoutAUsernameAreRefused() {
        IllegalArgumentException noPassword = refused(Map.of("SmarthostUsername", "ann"), NONE, NONE);
        assertTrue(noPassword.getMessage().startsWith("outbox.smarthost-username is \"ann\", but no password is given"),
                noPassword.getMessage());

        IllegalArgumentException noUsername = refused(NONE, Map.of("OUTBOX_SMARTHOST_PASSWORD", PASSWORD), NONE);
        assertTrue(noUsername.getMessage().startsWith("a smarthost password is given"), noUsername.getMessage());
        assertFalse(noUsername.getMessage().contains(PASSWORD));
    }

    @Test
    void bothPasswordSourcesAtOnceAreRefused() throws Exception {
        Path file = passwordFile(PASSWORD, "rw-------");

        IllegalArgumentException both = refused(Map.of("SmarthostUsername", "ann", "SmarthostPasswordFile", file.toString()),
                Map.of("OUTBOX_SMARTHOST_PASSWORD", PASSWORD), NONE);

        assertTrue(both.getMessage().startsWith("both the environment variable OUTBOX_SMARTHOST_PASSWORD and"), both.getMessage());
    }

    @Test
    void aPasswordInASystemPropertyIsRefusedSayingWhyAndWhatToUseInstead() {
        for (String value : new String[] {PASSWORD, "${ENC::outbox-resolver:RUxZAUMQEXruc1V9PpWkw5tdrDKRzbm1IgwPl2v0sYkfBbHIVGA=}"}) {
            IllegalArgumentException refused = refused(Map.of("SmarthostUsername", "ann"), NONE, Map.of("outbox.smarthost-password", value));

            assertTrue(refused.getMessage().startsWith("the system property outbox.smarthost-password is set, and Outbox refuses a password"
                    + " there: every JMX reader sees system properties (java.lang:type=Runtime)"), refused.getMessage());
            assertTrue(refused.getMessage().contains("OUTBOX_SMARTHOST_PASSWORD or in a file named by outbox.smarthost-password-file"),
                    refused.getMessage());
            assertFalse(refused.getMessage().contains(value), refused.getMessage());
        }
    }

    @Test
    void credentialsThatWouldGoInPlainTextAreRefusedUnlessAllowed() {
        Map<String, String> environment = Map.of("OUTBOX_SMARTHOST_PASSWORD", PASSWORD);

        IllegalArgumentException plain = refused(Map.of("Tls", "none", "SmarthostUsername", "ann"), environment, NONE);
        assertTrue(plain.getMessage().startsWith("outbox.tls is none and outbox.smarthost-username is set: the password would go in plain text"),
                plain.getMessage());

        assertTrue(settings(Map.of("Tls", "none", "SmarthostUsername", "ann", "SmarthostAuthWithoutTls", "true"), environment, NONE)
                .smtp().login().withoutTls());
        IllegalArgumentException notBoolean = refused(Map.of("SmarthostUsername", "ann", "SmarthostAuthWithoutTls", "yes"), environment, NONE);
        assertEquals("outbox.smarthost-auth-without-tls is \"yes\": neither true nor false", notBoolean.getMessage());
    }

    private Path passwordFile(String content, String permissions) throws Exception {
        Path file = Files.createTempFile(directory, "password", ".txt");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
        return file;
    }

    @Test
    void aLoginWithoutASmarthostIsRefused() {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> AdapterSettings.of(
                Map.of("SmarthostUsername", "ann"), Map.of("OUTBOX_SMARTHOST_PASSWORD", PASSWORD)::get, NONE::get, "/tmp/outbox-data"));
        assertTrue(refused.getMessage().contains("no smarthost is: Outbox logs in only to a smarthost"), refused.getMessage());
        assertFalse(refused.getMessage().contains(PASSWORD), refused.getMessage());
    }

    /** The settings with a smarthost (relay.example.com:587) unless {@code properties} name one: only a smarthost gets a login. */
    private static AdapterSettings settings(Map<String, String> properties, Map<String, String> environment, Map<String, String> system) {
        Map<String, String> relayed = new HashMap<>(properties);
        relayed.putIfAbsent("Smarthost", "relay.example.com:587");
        return AdapterSettings.of(relayed, environment::get, system::get, "/tmp/outbox-data");
    }

    private static IllegalArgumentException refused(Map<String, String> properties, Map<String, String> environment, Map<String, String> system) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> settings(properties, environment, system));
        assertFalse(refused.getMessage().contains(PASSWORD), refused.getMessage());
        return refused;
    }
}
