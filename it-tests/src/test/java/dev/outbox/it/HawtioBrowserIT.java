package dev.outbox.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.net.URI;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Hawtio in headless Chromium, behind the container's BASIC login (the hawtio.war overlay of
 * README "Hawtio"): an admin logs in, opens the outbox domain, freezes a transfer queue through
 * the Operations tab and sees its State turn FROZEN. Screenshots go to target/hawtio/.
 *
 * <p>Runs against a server that is already up, with system properties: {@code hawtio.url}
 * (for example http://127.0.0.1:8080/hawtio; without it, or without Chromium, the test is
 * skipped), {@code hawtio.user} / {@code hawtio.password} (a user in the role admin),
 * optionally {@code hawtio.otherUser} / {@code hawtio.otherPassword} (a user without it),
 * {@code demo.url} (default: hawtio.url's server + /outbox-demo, used to submit one message when
 * no transfer queue exists yet; Outbox's smarthost must not accept it, so the queue stays),
 * {@code chromium.binary} and {@code chromedriver} (default /usr/bin/chromium and
 * /usr/bin/chromedriver), {@code screenshots} (default target/hawtio).
 */
class HawtioBrowserIT {

    private static final String HAWTIO = System.getProperty("hawtio.url");
    private static final String CHROMIUM = System.getProperty("chromium.binary", "/usr/bin/chromium");
    private static final String CHROMEDRIVER = System.getProperty("chromedriver", "/usr/bin/chromedriver");
    private static final String USER = System.getProperty("hawtio.user", "hawtadmin");
    private static final String PASSWORD = System.getProperty("hawtio.password", "Admin#123");
    private static final String OTHER_USER = System.getProperty("hawtio.otherUser");
    private static final String OTHER_PASSWORD = System.getProperty("hawtio.otherPassword");
    private static final String DEMO = System.getProperty("demo.url",
            String.valueOf(HAWTIO).replaceFirst("/hawtio/?$", "") + "/outbox-demo");
    private static final Path SHOTS = Paths.get(System.getProperty("screenshots", "target/hawtio"));
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String destination;
    private static ChromeDriver browser;

    @BeforeAll
    static void queueAndBrowser() throws Exception {
        assumeTrue(HAWTIO != null, "set -Dhawtio.url to run the Hawtio browser test");
        assumeTrue(Files.isExecutable(Paths.get(CHROMIUM)) && Files.isExecutable(Paths.get(CHROMEDRIVER)),
                "needs chromium and chromedriver (apt-get install chromium chromium-driver)");
        destination = firstQueue();
        if (destination == null) {
            HttpResponse<String> submitted = HTTP.send(HttpRequest.newBuilder(URI.create(DEMO + "/api/messages"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"from\":\"app@example.com\",\"to\":[\"alice@example.org\"],"
                            + "\"subject\":\"Hawtio test\",\"text\":\"Held for the browser test.\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, submitted.statusCode(), submitted.body());
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while ((destination = firstQueue()) == null && System.nanoTime() < until) {
                Thread.sleep(200);
            }
        }
        assertTrue(destination != null, "no outbox:type=Queue MBean");
        jolokiaExec("unfreeze()");

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .build();
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void close() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (destination != null) {
            jolokiaExec("unfreeze()");
        }
    }

    @Test
    void onlyAdminsGetIn() throws Exception {
        String read = HAWTIO + "/jolokia/read/outbox:type=QueueManager";
        assertEquals(401, get(read, null, null).statusCode());
        assertEquals(401, get(read, USER, PASSWORD + "-wrong").statusCode());
        HttpResponse<String> admin = get(read, USER, PASSWORD);
        assertEquals(200, admin.statusCode());
        assertTrue(admin.body().contains("\"status\":200"), admin.body());
        if (OTHER_USER != null) {
            // The UI posts to /jolokia/; a GET whose path holds ':' answers 500 instead of 403 for
            // such a user (Elytron's WebResourcePermission rejects the path), still without data.
            assertEquals(403, get(HAWTIO + "/", OTHER_USER, OTHER_PASSWORD).statusCode());
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(HAWTIO + "/jolokia/"))
                    .header("Authorization", basic(OTHER_USER, OTHER_PASSWORD))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"read\",\"mbean\":\"outbox:type=QueueManager\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, post.statusCode());
        }
    }

    @Test
    void freezesAQueueThroughTheOperationsTab() throws Exception {
        // BASIC login: one navigation with the credentials in the URL fills Chromium's HTTP auth
        // cache; Hawtio itself must then be opened without them (fetch() refuses URLs with credentials).
        URI hawtio = URI.create(HAWTIO);
        browser.get(hawtio.getScheme() + "://" + enc(USER) + ":" + enc(PASSWORD) + "@" + hawtio.getRawAuthority()
                + hawtio.getRawPath() + "/auth/config");
        browser.get(HAWTIO + "/jmx");

        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
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

    private static void screenshot(String name) throws Exception {
        Files.write(SHOTS.resolve(name), browser.getScreenshotAs(OutputType.BYTES));
    }

    private static String queueMBean() {
        return "outbox:type=Queue,destination=\"" + destination + "\"";
    }

    private static String firstQueue() throws Exception {
        String body = jolokia("{\"type\":\"search\",\"mbean\":\"outbox:type=Queue,*\"}");
        Matcher m = Pattern.compile("destination=\\\\\"([^\\\\]+)\\\\\"").matcher(body);
        return m.find() ? m.group(1) : null;
    }

    private static String jolokiaRead(String mbean, String attribute) {
        try {
            String body = jolokia("{\"type\":\"read\",\"mbean\":\"" + mbean.replace("\"", "\\\"") + "\",\"attribute\":\"" + attribute + "\"}");
            Matcher m = Pattern.compile("\"value\":\"([^\"]*)\"").matcher(body);
            return m.find() ? m.group(1) : null;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void jolokiaExec(String operation) throws Exception {
        String body = jolokia("{\"type\":\"exec\",\"mbean\":\"" + queueMBean().replace("\"", "\\\"") + "\",\"operation\":\"" + operation + "\"}");
        assertTrue(body.contains("\"status\":200"), body);
    }

    private static String jolokia(String request) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(HAWTIO + "/jolokia/"))
                .header("Authorization", basic(USER, PASSWORD))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    private static HttpResponse<String> get(String url, String user, String password) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
        if (user != null) {
            request.header("Authorization", basic(user, password));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
