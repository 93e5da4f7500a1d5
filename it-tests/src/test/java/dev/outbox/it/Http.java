package dev.outbox.it;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The tests' HTTP client: one request, the status and the body as text. */
final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private Http() {
    }

    record Answer(int status, String body) {
    }

    static Answer post(URL base, String pathAndQuery, String contentType, byte[] body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(resolve(base, pathAndQuery))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body());
    }

    /**
     * Submits {@code content} as it is, in the envelope given, through the test application's
     * raw mode ({@link SubmitServlet}): {@code POST submit?mode=raw&from=...&to=...}.
     */
    static Answer submitRaw(URL submitter, String from, String content, String... to) throws IOException, InterruptedException {
        StringBuilder query = new StringBuilder("submit?mode=raw&from=").append(URLEncoder.encode(from, StandardCharsets.UTF_8));
        for (String recipient : to) {
            query.append("&to=").append(URLEncoder.encode(recipient, StandardCharsets.UTF_8));
        }
        return post(submitter, query.toString(), "message/rfc822", content.getBytes(StandardCharsets.US_ASCII));
    }

    static Answer get(URL base, String pathAndQuery) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(resolve(base, pathAndQuery)).timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body());
    }

    private static URI resolve(URL base, String pathAndQuery) {
        return URI.create(base.toExternalForm().replaceAll("/$", "") + "/" + pathAndQuery.replaceAll("^/", ""));
    }
}
