package dev.outbox.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.outbox.testing.Await;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Base64;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jboss.arquillian.container.test.api.ContainerController;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.container.test.api.TargetsContainer;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.EnterpriseArchive;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * README's "Securing Hawtio", done as an operator does it and then used in headless Chromium:
 * on a server of its own (base directory {@code it.hawtio.base}) with Hawtio 4.2.0 deployed as
 * {@code bin/run} deploys it, the test adds an application user in the group {@code admin} and
 * one without, checks that Hawtio is open before the overlay, builds the web-fragment jar and
 * runs the README's one CLI command (the deployment overlay of {@code docs/hawtio-security/}),
 * and then checks 401/403/200 as README's table says. In the browser, the admin logs in over
 * BASIC, opens the outbox domain, runs {@code freeze()} on the transfer queue from the
 * Operations tab and sees its State turn FROZEN. Screenshots go to {@code target/hawtio/}.
 *
 * <p>Outbox's smarthost (the build's {@code OUTBOX_SMARTHOST}) has no server in this test, so the
 * one message the test submits keeps its queue in RETRY, and the queue's bean stays. Needs
 * Debian's {@code chromium} and {@code chromium-driver}, which {@code bin/test} installs
 * (system properties {@code chromium.binary} and {@code chromedriver} point elsewhere).
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class HawtioBrowserIT {

    private static final String CONTAINER = "hawtio";
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final String CHROMIUM = System.getProperty("chromium.binary", "/usr/bin/chromium");
    private static final String CHROMEDRIVER = System.getProperty("chromedriver", "/usr/bin/chromedriver");
    private static final String ADMIN = "outbox-hawtio-admin";
    private static final String ADMIN_PASSWORD = "Hawtio-admin-1!";
    private static final String GUEST = "outbox-hawtio-guest";
    private static final String GUEST_PASSWORD = "Hawtio-guest-1!";
    private static final Path SHOTS = Paths.get("target", "hawtio");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final OwnServer server = new OwnServer(Path.of(System.getProperty("it.hawtio.base", "target/hawtio-server")));
    private final String hawtio = "http://127.0.0.1:" + server.httpPort() + "/hawtio";
    /** The transfer queue of the smarthost the build gives WildFly; nothing listens there in this test. */
    private final String destination = "127.0.0.1:" + TestSmtp.setup().getPort();
    private ChromeDriver browser;

    @Deployment(name = "outbox", order = 1, managed = false, testable = false)
    @TargetsContainer(CONTAINER)
    static EnterpriseArchive outbox() {
        return Deployments.outboxEar();
    }

    @Deployment(name = "submitter", order = 2, managed = false, testable = false)
    @TargetsContainer(CONTAINER)
    static WebArchive submitter() {
        return Deployments.submitterWar();
    }

    @ArquillianResource
    ContainerController controller;

    @ArquillianResource
    Deployer deployer;

    @Test
    void onlyAdminsGetInAndAnAdminFreezesAQueueInTheBrowser() throws Exception {
        assertTrue(Files.isExecutable(Paths.get(CHROMIUM)) && Files.isExecutable(Paths.get(CHROMEDRIVER)),
                "needs " + CHROMIUM + " and " + CHROMEDRIVER + ": bin/test installs them (apt-get install chromium chromium-driver)");
        server.prepare();
        Files.copy(Deployments.deployable("hawtio.war").toPath(), server.base().resolve("deployments/hawtio.war"));
        server.addApplicationUser(ADMIN, ADMIN_PASSWORD, "admin");
        server.addApplicationUser(GUEST, GUEST_PASSWORD, "guest");
        controller.start(CONTAINER);
        try {
            deployer.deploy("outbox");
            deployer.deploy("submitter");
            assertEquals(200, get(hawtio + "/jolokia/read/outbox:type=QueueManager", null, null).statusCode(),
                    "before the overlay, Hawtio is open to anyone (-Dhawtio.authenticationEnabled=false)");

            secureAsReadmeSays();
            Await.until(DEADLINE, () -> status(hawtio + "/", null, null) == 401, "Hawtio asks for a login once the overlay is in place");
            onlyAdminsGetIn();

            URL submitter = new URL("http://127.0.0.1:" + server.httpPort() + "/submitter/");
            String content = "From: app@example.com\r\nTo: held@h.example\r\nSubject: hawtio\r\n\r\nheld for the browser test\r\n";
            assertEquals(200, Http.submitRaw(submitter, "app@example.com", content, "held@h.example").status());
            Await.until(DEADLINE, () -> destination.equals(firstQueue()), "the queue's bean for " + destination);

            freezesTheQueueThroughTheOperationsTab();
        } finally {
            try {
                if (browser != null) {
                    browser.quit();
                }
                deployer.undeploy("submitter");
                deployer.undeploy("outbox");
            } finally {
                controller.stop(CONTAINER);
            }
        }
    }

    /** Step 2 and 3 of README "Securing Hawtio": the jar of the web fragment, and the one CLI command. */
    private void secureAsReadmeSays() throws Exception {
        Path files = Path.of(System.getProperty("it.hawtio.security", "../docs/hawtio-security")).toAbsolutePath();
        Path jar = server.base().resolve("hawtio-security.jar");
        StringWriter jarOutput = new StringWriter();
        int jarExit = ToolProvider.findFirst("jar").orElseThrow()
                .run(new PrintWriter(jarOutput), new PrintWriter(jarOutput), "cf", jar.toString(), "-C", files.toString(), "META-INF/web-fragment.xml");
        assertEquals(0, jarExit, "jar cf: " + jarOutput);
        server.runCli("--command=deployment-overlay add --name=hawtio-security"
                + " --content=WEB-INF/jboss-web.xml=" + files.resolve("jboss-web.xml") + ",WEB-INF/lib/hawtio-security.jar=" + jar
                + " --deployments=hawtio.war --redeploy-affected", null, null);
    }

    /** README's table: no credentials or a wrong password 401, a user without admin 403 (500 for a GET path with ':'), admin 200. */
    private void onlyAdminsGetIn() throws Exception {
        String read = hawtio + "/jolokia/read/outbox:type=QueueManager";
        assertEquals(401, get(read, null, null).statusCode());
        assertEquals(401, get(read, ADMIN, ADMIN_PASSWORD + "-wrong").statusCode());
        assertEquals(401, get(hawtio + "/", null, null).statusCode());
        HttpResponse<String> admin = get(read, ADMIN, ADMIN_PASSWORD);
        assertEquals(200, admin.statusCode());
        assertTrue(admin.body().contains("\"status\":200"), admin.body());
        assertEquals(403, get(hawtio + "/", GUEST, GUEST_PASSWORD).statusCode());
        HttpResponse<String> guestRead = get(read, GUEST, GUEST_PASSWORD);
        assertEquals(500, guestRead.statusCode(), "README: Elytron rejects a GET path with ':' for a user without the role");
        assertTrue(!guestRead.body().contains("\"status\":200"), "and no data: " + guestRead.body());
        HttpResponse<String> guestPost = jolokiaAs(GUEST, GUEST_PASSWORD, "{\"type\":\"read\",\"mbean\":\"outbox:type=QueueManager\"}");
        assertEquals(403, guestPost.statusCode(), "what the console does (POST /jolokia/) is refused to a user without admin");
    }

    private void freezesTheQueueThroughTheOperationsTab() throws Exception {
        jolokiaExec("unfreeze()");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000");
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).build(), options);
        Files.createDirectories(SHOTS);

        // BASIC login: one navigation with the credentials in the URL fills Chromium's HTTP auth
        // cache; Hawtio itself must then be opened without them (fetch() refuses URLs with credentials).
        URI uri = URI.create(hawtio);
        browser.get(uri.getScheme() + "://" + enc(ADMIN) + ":" + enc(ADMIN_PASSWORD) + "@" + uri.getRawAuthority()
                + uri.getRawPath() + "/auth/config");
        browser.get(hawtio + "/jmx");

        WebDriverWait wait = new WebDriverWait(browser, DEADLINE);
        click(wait, By.xpath("//li[@id='outbox-folder']//button[contains(@class,'node-toggle')]"));
        click(wait, By.xpath("//li[@id='outbox-folder-Queue-folder']//button[contains(@class,'node-toggle')]"));
        click(wait, treeNode("QueueManager"));
        wait.until(ExpectedConditions.textToBe(attributeValue("RetrySchedule"), jolokiaRead("outbox:type=QueueManager", "RetrySchedule")));
        wait.until(ExpectedConditions.visibilityOfElementLocated(treeNode(destination)));
        screenshot("hawtio-outbox-tree.png");

        click(wait, treeNode(destination));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), destination));
        click(wait, By.xpath("//a[normalize-space()='Operations']"));
        click(wait, By.xpath("//li[@aria-labelledby='operation freeze()']//button[@aria-label='Details']"));
        click(wait, By.xpath("//section[@id='operation-execute-freeze()']//button[normalize-space()='Execute']"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.xpath("//li[@aria-labelledby='operation freeze()']//*[normalize-space(text())='Operation successful']")));
        wait.until(d -> "FROZEN".equals(jolokiaRead(queueMBean(), "State")));
        screenshot("hawtio-freeze-executed.png");

        click(wait, By.xpath("//a[normalize-space()='Attributes']"));
        wait.until(ExpectedConditions.textToBe(attributeValue("State"), "FROZEN"));
        screenshot("hawtio-queue-frozen.png");
        assertEquals("FROZEN", jolokiaRead(queueMBean(), "State"));
    }

    private static By treeNode(String label) {
        return By.xpath("//li[starts-with(@id,'outbox-folder')]//button[contains(@class,'node-text') and normalize-space()='"
                + label + "']");
    }

    private static By attributeValue(String attribute) {
        return By.xpath("//tr[td[1][normalize-space()='" + attribute + "']]/td[2]");
    }

    private static void click(WebDriverWait wait, By by) {
        WebElement element = wait.until(ExpectedConditions.elementToBeClickable(by));
        element.click();
    }

    private void screenshot(String name) throws IOException {
        Files.write(SHOTS.resolve(name), browser.getScreenshotAs(OutputType.BYTES));
    }

    private String queueMBean() {
        return "outbox:type=Queue,destination=\"" + destination + "\"";
    }

    private String firstQueue() {
        String body = jolokia("{\"type\":\"search\",\"mbean\":\"outbox:type=Queue,*\"}");
        Matcher m = Pattern.compile("destination=\\\\\"([^\\\\]+)\\\\\"").matcher(body);
        return m.find() ? m.group(1) : null;
    }

    private String jolokiaRead(String mbean, String attribute) {
        String body = jolokia("{\"type\":\"read\",\"mbean\":\"" + mbean.replace("\"", "\\\"") + "\",\"attribute\":\"" + attribute + "\"}");
        Matcher m = Pattern.compile("\"value\":\"([^\"]*)\"").matcher(body);
        return m.find() ? m.group(1) : null;
    }

    private void jolokiaExec(String operation) {
        String body = jolokia("{\"type\":\"exec\",\"mbean\":\"" + queueMBean().replace("\"", "\\\"") + "\",\"operation\":\"" + operation + "\"}");
        assertTrue(body.contains("\"status\":200"), body);
    }

    /** A Jolokia request as the admin, as the console posts it; the answer's body. */
    private String jolokia(String request) {
        HttpResponse<String> response = jolokiaAs(ADMIN, ADMIN_PASSWORD, request);
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    private HttpResponse<String> jolokiaAs(String user, String password, String request) {
        return send(HttpRequest.newBuilder(URI.create(hawtio + "/jolokia/"))
                .header("Authorization", basic(user, password))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request)));
    }

    private static int status(String url, String user, String password) {
        return get(url, user, password).statusCode();
    }

    private static HttpResponse<String> get(String url, String user, String password) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
        if (user != null) {
            request.header("Authorization", basic(user, password));
        }
        return send(request);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
