package io.portolan.collector.store;

import io.portolan.collector.store.Queries.ContainerQuery;
import io.portolan.collector.store.Queries.ContainerSummary;
import io.portolan.collector.store.Queries.HostQuery;
import io.portolan.collector.store.Queries.HostStatus;
import io.portolan.collector.store.Queries.HostSummary;
import io.portolan.collector.store.Queries.ImageDetail;
import io.portolan.collector.store.Queries.ImageHost;
import io.portolan.collector.store.Queries.ImageQuery;
import io.portolan.collector.store.Queries.ImageSummary;
import io.portolan.collector.store.Queries.RepositoryQuery;
import io.portolan.collector.store.Queries.RepositorySummary;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Everything the collector keeps. One JDBC implementation serves H2 and PostgreSQL; {@code
 * StoreContract} is the test suite every implementation must pass.
 */
public interface Store extends InventoryStore, VulnerabilityStore, ScheduleStore, ScanStore, AutoCloseable {

  /**
   * Records a connecting agent's host facts and marks it seen at {@code now}.
   *
   * @return the highest seq of this agent already committed, 0 for a new agent
   */
  long registerHost(String agentId, String agentVersion, HostFacts facts, Instant now);

  /**
   * Applies changes in one transaction and records {@code lastSeq} as the agent's committed seq. A
   * replay of changes already applied leaves the store unchanged (apart from last-seen times).
   */
  void apply(String agentId, List<HostChange> changes, long lastSeq, Instant now);

  /**
   * Group commit: registrations and changes of many agents in ONE transaction, so thousands of
   * agents cost a few fsyncs rather than one each. All or nothing.
   *
   * @return for each agent of the call, its highest committed seq afterwards
   */
  java.util.Map<String, Long> ingest(List<IngestBatch> batches, Instant now);

  /** Marks hosts seen at {@code now} (heartbeats); batched because thousands of agents beat. */
  void touchHosts(Collection<String> agentIds, Instant now);

  Page<HostSummary> hosts(HostQuery query);

  Optional<HostSummary> host(String hostId, Instant onlineSince);

  Page<ImageSummary> images(ImageQuery query);

  Optional<ImageDetail> image(String imageId);

  /** Resolves a full ID, an ID without "sha256:", or a unique prefix of at least 4 hex digits. */
  Optional<String> resolveImageId(String idOrPrefix);

  Page<ImageHost> imageHosts(String imageId, HostStatus status, Instant onlineSince, PageRequest page);

  Page<ContainerSummary> containers(ContainerQuery query);

  Page<RepositorySummary> repositories(RepositoryQuery query);

  /** Counts for the overview: hosts by status, present images by worst severity, containers. */
  Queries.FleetOverview overview(Instant onlineSince);

  /** Throws if the database does not answer. */
  void check();

  @Override
  void close();
}
