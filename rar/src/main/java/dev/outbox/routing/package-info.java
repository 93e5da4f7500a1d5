/**
 * Routing by DNS (RFC 5321 section 5): which SMTP servers accept mail for a recipient domain.
 * {@link dev.outbox.routing.MxResolver} answers with a {@link dev.outbox.routing.Route}: the
 * {@link dev.outbox.routing.MailHost}s to try, in order, or a reason to bounce or to defer.
 * {@link dev.outbox.routing.DnsSettings} and {@link dev.outbox.routing.DnsServer} carry the
 * configuration ({@code outbox.dns-servers}). The rest is the resolver's inside: the name
 * servers it asks and how ({@code NameServers}, {@code DnsTransport}), what they answered
 * ({@code Answer}), what it remembers ({@code AnswerCache}), address literals
 * ({@code AddressLiteral}), and dnsjava's own selector thread ({@code DnsjavaSelector}).
 *
 * <p>The package depends on dnsjava and the JDK only; the queue engine uses it, never the
 * other way round.
 */
package dev.outbox.routing;
