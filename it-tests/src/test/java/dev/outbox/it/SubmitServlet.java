package dev.outbox.it;

import dev.outbox.api.Envelope;
import dev.outbox.api.MessageRejectedException;
import dev.outbox.api.OutboxConnection;
import dev.outbox.api.OutboxConnectionFactory;
import dev.outbox.api.OutboxException;
import jakarta.annotation.Resource;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * Deployed in the test application: submits what the test sends through the injected
 * {@code java:/eis/Outbox}.
 *
 * <p>{@code POST /submit?mode=mime} parses the body as a MIME message and calls
 * {@code submit(MimeMessage)}; {@code POST /submit?mode=raw&from=...&to=...&to=...} calls
 * {@code submit(byte[], Envelope)}. Answers 200 with {@code id=...} and
 * {@code message-id=...} lines, 400 with the exception for a refused message, 503 for any
 * other Outbox failure.
 */
@WebServlet("/submit")
public class SubmitServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Resource(lookup = "java:/eis/Outbox")
    private OutboxConnectionFactory outbox;

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        byte[] body = request.getInputStream().readAllBytes();
        response.setContentType("text/plain;charset=UTF-8");
        try (OutboxConnection connection = outbox.getConnection()) {
            String answer;
            if ("mime".equals(request.getParameter("mode"))) {
                MimeMessage message = new MimeMessage(Session.getInstance(new Properties()), new java.io.ByteArrayInputStream(body));
                String id = connection.submit(message);
                answer = "id=" + id + "\nmessage-id=" + message.getMessageID() + "\n";
            } else {
                String[] to = request.getParameterValues("to");
                Envelope envelope = Envelope.of(request.getParameter("from"), to == null ? List.of() : Arrays.asList(to));
                answer = "id=" + connection.submit(body, envelope) + "\n";
            }
            response.getWriter().write(answer);
        } catch (MessageRejectedException | IllegalArgumentException e) {
            response.setStatus(400);
            response.getWriter().write(e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (OutboxException | MessagingException e) {
            response.setStatus(503);
            response.getWriter().write(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
