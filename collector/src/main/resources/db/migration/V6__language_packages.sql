-- Language packages (issue 8). What an image's package instance says beyond its identity, kept per
-- image and not in the fleet-wide packages table, because it belongs to one copy of the package:
--   properties      JSON object of what the analyzer recorded for a language package (identity,
--                   confidence, sha1, dev, source=lockfile...); '' for OS packages, whose database
--                   bookkeeping stays in the raw layer findings;
--   language_purls  JSON array of the language packages an OS package ships (Debian's
--                   python3-requests ships pkg:pypi/requests@2.28.1), which are reported through
--                   the OS package and never counted on their own; '' when there are none.
ALTER TABLE image_packages ADD COLUMN properties VARCHAR DEFAULT '' NOT NULL;
ALTER TABLE image_packages ADD COLUMN language_purls VARCHAR DEFAULT '' NOT NULL;
