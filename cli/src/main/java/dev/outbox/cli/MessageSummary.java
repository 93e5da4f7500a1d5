package dev.outbox.cli;

/**
 * One line of a message list, as the server's MessageSummary open type carries it. The sender is
 * "" for the null reverse path; states reads like "DEFERRED 2, DELIVERED 1"; times are ISO-8601
 * instants in UTC, "" for none.
 */
record MessageSummary(String id, String sender, String submitTime, int sizeBytes, int recipients, int unfinished, String states,
                      String nextRetryTime) {
}
