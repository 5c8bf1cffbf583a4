-- Inventory of hosts, images and containers. Portable between H2 (regular mode) and PostgreSQL:
-- keep it to standard types so one migration serves both.
-- Every key is natural (agent ID, image ID, container ID) so rows from different collectors or
-- shards never need an ID allocator. JSON columns are text written by Jackson with sorted keys,
-- so equal facts give equal text and change detection can compare strings.
-- No foreign keys: they would cost a lookup per row on the ingest path and get in the way of
-- sharding by host later; the store writes rows in dependency order itself.

CREATE TABLE hosts (
    id                 VARCHAR(255)             NOT NULL PRIMARY KEY,
    name               VARCHAR(255)             NOT NULL,
    ips                VARCHAR                  NOT NULL,
    os                 VARCHAR(255)             NOT NULL,
    kernel             VARCHAR(255)             NOT NULL,
    architecture       VARCHAR(64)              NOT NULL,
    docker_version     VARCHAR(64)              NOT NULL,
    docker_api_version VARCHAR(64)              NOT NULL,
    agent_version      VARCHAR(64)              NOT NULL,
    labels             VARCHAR                  NOT NULL,
    storage_driver     VARCHAR(64)              NOT NULL,
    docker_root_dir    VARCHAR(1024)            NOT NULL,
    cpus               INTEGER                  NOT NULL,
    memory_bytes       BIGINT                   NOT NULL,
    first_seen         TIMESTAMP WITH TIME ZONE NOT NULL,
    last_seen          TIMESTAMP WITH TIME ZONE NOT NULL,
    last_seq           BIGINT                   NOT NULL
);
CREATE INDEX hosts_name_idx ON hosts (name, id);
CREATE INDEX hosts_last_seen_idx ON hosts (last_seen);

-- Facts intrinsic to an image ID: written once, never rewritten.
CREATE TABLE images (
    id             VARCHAR(255)             NOT NULL PRIMARY KEY,
    created        TIMESTAMP WITH TIME ZONE,
    size_bytes     BIGINT                   NOT NULL,
    os             VARCHAR(64)              NOT NULL,
    architecture   VARCHAR(64)              NOT NULL,
    variant        VARCHAR(64)              NOT NULL,
    author         VARCHAR(1024)            NOT NULL,
    docker_version VARCHAR(64)              NOT NULL,
    config         VARCHAR                  NOT NULL,
    first_seen     TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX images_created_idx ON images (created, id);
CREATE INDEX images_size_idx ON images (size_bytes, id);

CREATE TABLE image_layers (
    image_id VARCHAR(255) NOT NULL,
    idx      INTEGER      NOT NULL,
    diff_id  VARCHAR(255) NOT NULL,
    PRIMARY KEY (image_id, idx)
);
CREATE INDEX image_layers_diff_id_idx ON image_layers (diff_id);

CREATE TABLE image_history (
    image_id    VARCHAR(255)             NOT NULL,
    idx         INTEGER                  NOT NULL,
    created     TIMESTAMP WITH TIME ZONE,
    created_by  VARCHAR                  NOT NULL,
    empty_layer BOOLEAN                  NOT NULL,
    comment     VARCHAR                  NOT NULL,
    PRIMARY KEY (image_id, idx)
);

-- Which host has (or had) which image. snapshot_id is the last full snapshot that listed the row.
CREATE TABLE host_images (
    host_id     VARCHAR(255)             NOT NULL,
    image_id    VARCHAR(255)             NOT NULL,
    first_seen  TIMESTAMP WITH TIME ZONE NOT NULL,
    last_seen   TIMESTAMP WITH TIME ZONE NOT NULL,
    present     BOOLEAN                  NOT NULL,
    removed_at  TIMESTAMP WITH TIME ZONE,
    snapshot_id VARCHAR(255),
    PRIMARY KEY (host_id, image_id)
);
CREATE INDEX host_images_image_idx ON host_images (image_id, present, host_id);

-- Tags and digests are per host: two hosts may tag one image differently.
CREATE TABLE host_image_tags (
    host_id    VARCHAR(255) NOT NULL,
    image_id   VARCHAR(255) NOT NULL,
    repository VARCHAR(1024) NOT NULL,
    tag        VARCHAR(255) NOT NULL,
    PRIMARY KEY (host_id, image_id, repository, tag)
);
CREATE INDEX host_image_tags_image_idx ON host_image_tags (image_id, repository, tag);
CREATE INDEX host_image_tags_repository_idx ON host_image_tags (repository, tag);
CREATE INDEX host_image_tags_host_tag_idx ON host_image_tags (host_id, repository, tag);

CREATE TABLE host_image_digests (
    host_id     VARCHAR(255)  NOT NULL,
    image_id    VARCHAR(255)  NOT NULL,
    repo_digest VARCHAR(1024) NOT NULL,
    PRIMARY KEY (host_id, image_id, repo_digest)
);
CREATE INDEX host_image_digests_image_idx ON host_image_digests (image_id);

CREATE TABLE containers (
    host_id       VARCHAR(255)             NOT NULL,
    id            VARCHAR(255)             NOT NULL,
    name          VARCHAR(1024)            NOT NULL,
    names         VARCHAR                  NOT NULL,
    image_id      VARCHAR(255)             NOT NULL,
    image_ref     VARCHAR(1024)            NOT NULL,
    state         VARCHAR(32)              NOT NULL,
    status        VARCHAR(255)             NOT NULL,
    command       VARCHAR                  NOT NULL,
    created       TIMESTAMP WITH TIME ZONE,
    started       TIMESTAMP WITH TIME ZONE,
    finished      TIMESTAMP WITH TIME ZONE,
    exit_code     INTEGER                  NOT NULL,
    ports         VARCHAR                  NOT NULL,
    labels        VARCHAR                  NOT NULL,
    restart_count INTEGER                  NOT NULL,
    present       BOOLEAN                  NOT NULL,
    removed_at    TIMESTAMP WITH TIME ZONE,
    updated       TIMESTAMP WITH TIME ZONE NOT NULL,
    snapshot_id   VARCHAR(255),
    PRIMARY KEY (host_id, id)
);
CREATE INDEX containers_image_idx ON containers (image_id, present, state);
CREATE INDEX containers_name_idx ON containers (name, host_id, id);
CREATE INDEX containers_id_idx ON containers (id);
CREATE INDEX containers_host_present_idx ON containers (host_id, present, state);
