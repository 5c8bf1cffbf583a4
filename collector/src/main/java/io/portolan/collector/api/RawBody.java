package io.portolan.collector.api;

/** A response that is already serialized in its own format (an SBOM), sent as it is. */
public record RawBody(String contentType, String body) {}
