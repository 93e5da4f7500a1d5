package dev.outbox.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The tests' HTTP client: one request, the status and the body as text. {@link #postUnfinished}
 * speaks HTTP/1.1 on a socket itself, to send a body that never ends.
 */
final class Http {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private Http() {
    }

    record Answer(int status, String body) {
    }

    static Answer post(URL base, String pathAndQuery, String contentType, byte[] body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(resolve(base, pathAndQuery))
                .timeout(TIMEOUT)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return send(request);
    }

    /** Posts {@code body} in HTTP/1.1 chunks, with no {@code Content-Length}. */
    static Answer postChunked(URL base, String pathAndQuery, String contentType, byte[] body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(resolve(base, pathAndQuery))
                .version(HttpClient.Version.HTTP_1_1)
                .timeout(TIMEOUT)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))) // length unknown: chunked
                .build();
        return send(request);
    }

    /**
     * Posts a body that never ends: sends the request head with {@code framing} (a
     * {@code Content-Length} or {@code Transfer-Encoding} header line), then {@code sent}, framed
     * already, and reads the answer with the rest of the body still owed. A server that waits for
     * the whole body gives no answer, and this throws {@link java.net.SocketTimeoutException}.
     */
    static Answer postUnfinished(URL base, String pathAndQuery, String contentType, String framing, byte[] sent) throws IOException {
        URI uri = resolve(base, pathAndQuery);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            String target = uri.getRawQuery() == null ? uri.getRawPath() : uri.getRawPath() + "?" + uri.getRawQuery();
            out.write(("POST " + target + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nContent-Type: " + contentType + "\r\n" + framing + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(sent);
            out.flush();
            return readAnswer(new BufferedInputStream(socket.getInputStream()));
        }
    }

    /** An HTTP/1.1 response: the status line, the headers, and a body framed by length, chunks or the end of the stream. */
    private static Answer readAnswer(InputStream in) throws IOException {
        String statusLine = line(in);
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).strip(), header.substring(colon + 1).strip());
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (headers.getOrDefault("Transfer-Encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
            for (int size = chunkSize(line(in)); size > 0; size = chunkSize(line(in))) {
                body.write(in.readNBytes(size));
                line(in); // the CRLF after the chunk
            }
        } else if (headers.containsKey("Content-Length")) {
            body.write(in.readNBytes(Integer.parseInt(headers.get("Content-Length"))));
        } else {
            body.write(in.readAllBytes());
        }
        return new Answer(Integer.parseInt(statusLine.split(" ")[1]), body.toString(StandardCharsets.UTF_8));
    }

    private static int chunkSize(String line) {
        return Integer.parseInt(line.split(";")[0].strip(), 16);
    }

    /** One line of a response head or of chunk framing, without its CRLF. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("the connection closed in a response line: " + line.toString(StandardCharsets.ISO_8859_1));
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
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
        HttpRequest request = HttpRequest.newBuilder(resolve(base, pathAndQuery)).timeout(TIMEOUT).GET().build();
        return send(request);
    }

    private static Answer send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body());
    }

    private static URI resolve(URL base, String pathAndQuery) {
        return URI.create(base.toExternalForm().replaceAll("/$", "") + "/" + pathAndQuery.replaceAll("^/", ""));
    }
}
