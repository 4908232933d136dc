-- The session a sign-in flow continues: a step-up to a second factor
-- renews that session (same identifier, its portals still signed in)
-- instead of starting another. 0 for a sign-in, which starts one.
ALTER TABLE signin_flows ADD COLUMN session_id BIGINT NOT NULL DEFAULT 0;
