package io.portolan.agent;

/**
 * A point-in-time view of a running agent, for the launcher's health output and for tests.
 *
 * @param connected whether the collector has welcomed this agent on an open stream
 * @param dockerWatching whether the engine is reachable and its events are followed
 * @param outboxDepth messages not yet acknowledged by the collector
 * @param lastAckedSeq the highest seq the collector acknowledged
 * @param inFlight messages sent on the current stream and not yet acknowledged
 */
public record AgentStatus(boolean connected, boolean dockerWatching, int outboxDepth, long lastAckedSeq, int inFlight) {
}
