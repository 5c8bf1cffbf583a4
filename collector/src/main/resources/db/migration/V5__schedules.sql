-- Scan schedules. Jobs are referenced by their ID as text only: the scan tables belong to the scan
-- service, and a schedule outlives the jobs it started.
-- Local times (at_time, window_start, window_end) are wall-clock times in time_zone; instants are
-- stored in UTC. The firing loop claims rows with SELECT ... FOR UPDATE SKIP LOCKED, so the run
-- state lives on the schedule row itself: whoever holds the row lock owns the slot.

CREATE TABLE schedules (
    id               VARCHAR(64)              NOT NULL PRIMARY KEY,
    name             VARCHAR(200)             NOT NULL,
    enabled          BOOLEAN                  NOT NULL,
    scope_kind       VARCHAR(32)              NOT NULL,
    -- One ID per line: image IDs, host IDs or repository names, by scope_kind.
    scope_ids        VARCHAR                  NOT NULL,
    categories       VARCHAR(255)             NOT NULL,
    force_rescan     BOOLEAN                  NOT NULL,
    -- DAILY, EVERY_DAYS, WEEKLY or CRON; the columns that kind does not use are NULL.
    recurrence       VARCHAR(16)              NOT NULL,
    at_time          TIME,
    every_days       INTEGER,
    start_date       DATE,
    weekdays         VARCHAR(64),
    cron             VARCHAR(255),
    time_zone        VARCHAR(64)              NOT NULL,
    window_start     TIME,
    window_end       TIME,
    -- PAUSE (resume in the next window) or CANCEL; NULL without a window.
    window_policy    VARCHAR(16),
    -- When the next slot fires (NULL: never, e.g. disabled or a cron with no future match).
    next_run_at      TIMESTAMP WITH TIME ZONE,
    -- When the running job next needs a window decision (pause/cancel at the end, resume at the start).
    window_due_at    TIMESTAMP WITH TIME ZONE,
    job_paused       BOOLEAN                  NOT NULL,
    last_job_id      VARCHAR(64),
    last_started_at  TIMESTAMP WITH TIME ZONE,
    -- SUBMITTED, SKIPPED, FAILED_TO_START, PAUSED, RESUMED, CANCELLED or a final job state.
    last_outcome     VARCHAR(32),
    last_detail      VARCHAR,
    last_outcome_at  TIMESTAMP WITH TIME ZONE,
    -- The seq of the schedule's newest event (events are numbered under the row lock).
    event_seq        BIGINT                   NOT NULL,
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT schedules_name_key UNIQUE (name)
);
-- The firing loop's two questions: what is due, and when is the earliest next thing.
CREATE INDEX schedules_next_run_idx ON schedules (next_run_at);
CREATE INDEX schedules_window_due_idx ON schedules (window_due_at);

-- What each schedule did, newest last: submitted jobs, skipped slots and why, window actions.
-- Kept short per schedule (the store trims old rows when it adds new ones).
CREATE TABLE schedule_events (
    schedule_id  VARCHAR(64)              NOT NULL,
    seq          BIGINT                   NOT NULL,
    event_at     TIMESTAMP WITH TIME ZONE NOT NULL,
    kind         VARCHAR(32)              NOT NULL,
    job_id       VARCHAR(64),
    detail       VARCHAR                  NOT NULL,
    collector_id VARCHAR(64)              NOT NULL,
    PRIMARY KEY (schedule_id, seq)
);
