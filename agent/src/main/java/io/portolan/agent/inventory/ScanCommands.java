package io.portolan.agent.inventory;

import io.portolan.agent.cache.AgentState;
import io.portolan.agent.cache.Supersedes;
import io.portolan.agent.transport.CollectorLink;
import io.portolan.proto.agent.v1.AgentMessage;
import io.portolan.proto.agent.v1.CancelScan;
import io.portolan.proto.agent.v1.Command;
import io.portolan.proto.agent.v1.CommandStatus;
import io.portolan.proto.agent.v1.CommandUpdate;
import io.portolan.proto.agent.v1.ScanImages;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the collector's scan commands. Each image of a {@code ScanImages} becomes a
 * ticket in the {@link InventoryScheduler}: progress goes out as it happens (best effort), and the
 * one result per image (DONE, FAILED or CANCELLED) goes through the durable outbox after the
 * image's inventory, so the collector learns a scan is done only once it holds what was found.
 */
public final class ScanCommands implements CollectorLink.CommandHandler, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ScanCommands.class);
  /** The categories this agent can scan for: its inventory is what vulnerability matching reads. */
  public static final Set<String> SUPPORTED_CATEGORIES = Set.of("vulnerabilities");
  /** Requests remembered, so a command resent after a reconnect does not run twice. */
  private static final int REMEMBERED = 20_000;
  private static final long PROGRESS_EVERY_MILLIS = 1_000;

  private final InventoryScheduler scheduler;
  private final AgentState state;
  private final Function<AgentMessage, Boolean> sendNow;
  private final Runnable outboxChanged;
  private final Clock clock;
  /** Commands arrive on the link's thread, which must never wait on the link itself. */
  private final ExecutorService commands = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "portolan-scan-commands");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, Ticket> tickets = new LinkedHashMap<>(256, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Ticket> eldest) {
      return size() > REMEMBERED && eldest.getValue().finished;
    }
  };

  public ScanCommands(InventoryScheduler scheduler, AgentState state, Function<AgentMessage, Boolean> sendNow,
      Runnable outboxChanged, Clock clock) {
    this.scheduler = scheduler;
    this.state = state;
    this.sendNow = sendNow;
    this.outboxChanged = outboxChanged;
    this.clock = clock;
  }

  @Override
  public boolean handle(Command command) {
    switch (command.getKindCase()) {
      case SCAN_IMAGES -> commands.execute(() -> scan(command.getRequestId(), command.getScanImages()));
      case CANCEL_SCAN -> commands.execute(() -> cancel(command.getCancelScan()));
      default -> {
        return false;
      }
    }
    return true;
  }

  private void scan(String requestId, ScanImages request) {
    Set<String> unsupported = new TreeSet<>(request.getCategoriesList());
    unsupported.removeAll(SUPPORTED_CATEGORIES);
    sendNow.apply(update(requestId, "", CommandStatus.COMMAND_STATUS_ACCEPTED,
        request.getImageIdsCount() + " images", 0));
    List<Ticket> started = new ArrayList<>();
    synchronized (tickets) {
      for (String imageId : request.getImageIdsList()) {
        String key = requestId + "|" + imageId;
        if (tickets.containsKey(key)) continue; // a resend: the first one is running or its result is queued
        Ticket t = new Ticket(requestId, imageId);
        tickets.put(key, t);
        started.add(t);
      }
    }
    for (Ticket t : started) {
      if (!unsupported.isEmpty()) {
        t.failed("this agent cannot scan for " + String.join(", ", unsupported));
      } else {
        scheduler.scan(t.imageId, request.getForce(), t);
      }
    }
    if (!started.isEmpty()) {
      log.info("scan request {}: {} images{}", requestId, started.size(), request.getForce() ? " (forced)" : "");
    }
  }

  private void cancel(CancelScan cancel) {
    Set<String> images = Set.copyOf(cancel.getImageIdsList());
    int n = 0;
    synchronized (tickets) {
      for (Ticket t : tickets.values()) {
        if (t.requestId.equals(cancel.getScanRequestId()) && (images.isEmpty() || images.contains(t.imageId))
            && !t.finished) {
          t.cancel = true;
          n++;
        }
      }
    }
    log.info("scan request {}: cancelling {} images", cancel.getScanRequestId(), n);
  }

  /**
   * A snapshot superseded the outbox, results not yet acknowledged among it: they are sent again.
   * A DONE waits for the image's inventory to be delivered again first, so it still follows it.
   */
  public void outboxReplaced() {
    List<Ticket> lost = new ArrayList<>();
    long acked = state.lastAckedSeq();
    synchronized (tickets) {
      for (Ticket t : tickets.values()) {
        if (t.finished && t.resultSeq > acked) lost.add(t);
      }
    }
    for (Ticket t : lost) {
      if (t.result == CommandStatus.COMMAND_STATUS_DONE) {
        t.finished = false;
        scheduler.awaitDelivery(t.imageId, t);
      } else {
        t.append(t.result, t.resultMessage);
      }
    }
  }

  private static AgentMessage update(String requestId, String imageId, CommandStatus status, String message,
      int percent) {
    return AgentMessage.newBuilder().setCommandUpdate(CommandUpdate.newBuilder().setRequestId(requestId)
        .setImageId(imageId).setStatus(status).setMessage(message).setProgressPercent(percent)).build();
  }

  /** One image of one request. */
  private final class Ticket implements ScanTicket {
    final String requestId;
    final String imageId;
    volatile boolean cancel;
    volatile boolean finished;
    volatile CommandStatus result;
    volatile String resultMessage = "";
    volatile long resultSeq;
    private long lastProgressAt = Long.MIN_VALUE;
    private int lastPercent = -1;

    Ticket(String requestId, String imageId) {
      this.requestId = requestId;
      this.imageId = imageId;
    }

    @Override
    public boolean cancelRequested() {
      return cancel;
    }

    @Override
    public synchronized void progress(int percent) {
      long now = clock.millis();
      if (finished || percent == lastPercent || (percent != 0 && now - lastProgressAt < PROGRESS_EVERY_MILLIS)) {
        return;
      }
      lastPercent = percent;
      lastProgressAt = now;
      sendNow.apply(update(requestId, imageId, CommandStatus.COMMAND_STATUS_RUNNING, "", percent));
    }

    @Override
    public void stopped(String where) {
      finish(CommandStatus.COMMAND_STATUS_CANCELLED, where);
    }

    @Override
    public void failed(String reason) {
      finish(CommandStatus.COMMAND_STATUS_FAILED, reason);
    }

    @Override
    public void delivered() {
      if (cancel) finish(CommandStatus.COMMAND_STATUS_CANCELLED, "cancelled after the image was read");
      else finish(CommandStatus.COMMAND_STATUS_DONE, "");
    }

    private void finish(CommandStatus status, String message) {
      synchronized (this) {
        if (finished) return;
        finished = true;
      }
      append(status, message);
    }

    void append(CommandStatus status, String message) {
      result = status;
      resultMessage = message;
      AgentMessage stored = state.append(update(requestId, imageId, status, message,
              status == CommandStatus.COMMAND_STATUS_DONE ? 100 : Math.max(0, lastPercent)).toBuilder(),
          Supersedes.object("scan:" + requestId + "|" + imageId));
      resultSeq = stored.getSeq();
      outboxChanged.run();
    }
  }

  @Override
  public void close() {
    commands.shutdownNow();
  }
}
