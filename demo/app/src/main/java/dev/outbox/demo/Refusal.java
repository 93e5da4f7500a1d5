package dev.outbox.demo;

import jakarta.ws.rs.core.Response;

/**
 * A request the demo refuses, with the status to answer and the reason to give in
 * {@code {"error"}}: 400 for a body that is not the contract, 413 for one over
 * {@link RequestBody#LIMIT}.
 */
final class Refusal extends Exception {

    private static final long serialVersionUID = 1L;

    private final Response.Status status;

    private Refusal(Response.Status status, String reason) {
        super(reason);
        this.status = status;
    }

    /** 400: the body is not what {@code POST /messages} takes, for this reason. */
    static Refusal badRequest(String reason) {
        return new Refusal(Response.Status.BAD_REQUEST, reason);
    }

    /** 413: the body is over {@link RequestBody#LIMIT}. */
    static Refusal tooLarge(String reason) {
        return new Refusal(Response.Status.REQUEST_ENTITY_TOO_LARGE, reason);
    }

    Response.Status status() {
        return status;
    }
}
