-- Bumped in the transaction that applies an agent's changes, so a reader can tell which hosts'
-- images and containers changed since it last looked without reading them all.
ALTER TABLE hosts ADD COLUMN membership_version BIGINT NOT NULL DEFAULT 0;
