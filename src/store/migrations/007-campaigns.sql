-- Campaigns (issue #13): the keys that joined an incident opened by another
-- key of the same rule, and the incident's member count and last growth.

-- One row per key of a campaign (the opener included). `last_at` is the
-- event time of the key's latest detection: re-handling the same detection
-- (a retried batch) leaves `detections` unchanged.
CREATE TABLE incident_members (
  incident_id bigint NOT NULL REFERENCES incidents (id),
  key         text NOT NULL,
  first_at    timestamptz NOT NULL,
  last_at     timestamptz NOT NULL,
  detections  integer NOT NULL DEFAULT 1,
  seq         bigserial NOT NULL,
  PRIMARY KEY (incident_id, key)
);
CREATE INDEX incident_members_key ON incident_members (key, incident_id);
CREATE INDEX incident_members_seq ON incident_members (incident_id, seq);

-- members: keys in incident_members (0 for incidents of rules that do not group);
-- members_announced: how many the timeline has reported ("+312 addresses");
-- grew_at: event time of the last opening or join (campaigns accept new keys within the rule's group window of it).
ALTER TABLE incidents ADD COLUMN members integer NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN members_announced integer NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN grew_at timestamptz;
CREATE INDEX incidents_open_campaigns ON incidents (type, grew_at) WHERE status <> 'resolved' AND grew_at IS NOT NULL;
