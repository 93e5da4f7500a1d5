package dev.outbox.delivery;

/**
 * What a next hop is to Outbox, which decides how far its TLS is checked and whether Outbox
 * logs in: the configured smarthost (certificate verified under {@link TlsPolicy#REQUIRED};
 * AUTH when a username is set) or an MX host found for a recipient's domain (never verified,
 * never AUTH).
 */
public enum Peer {
    SMARTHOST, MX_HOST
}
