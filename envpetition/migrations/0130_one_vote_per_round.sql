-- One vote per follow-up round per receipt: the round is the case's reopen count when the vote was
-- cast. A late "unsatisfied" (after the reopen window) is kept as feedback and reopens nothing.
alter table satisfaction_votes add column round integer not null default 0;
alter table satisfaction_votes add column feedback_only boolean not null default false;
create unique index satisfaction_votes_one_per_round on satisfaction_votes (complaint_id, round)
    where via = 'receipt' and complaint_id is not null;
