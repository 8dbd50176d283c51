-- One organisation, one cap; one human, one daily allowance.
--
-- group_links: an entity belongs to a group (`entity add --part-of`, from the start; `entity
-- link`, from the event's time on). Entities of one group share one 30-day cap: each entry
-- counts for the group its entity belonged to at the entry's time (else for the entity).
-- person_moves: a person moved to another entity from `valid_from` on; receipts before stay
-- with the old entity (each entry records its entity), daily objects follow the person.
-- persons.email: handles with one email are one human, with one allowance of objects a day.
-- recipient_warnings: what `entity add` and `person add` warned of (possibly related recipients).

CREATE TABLE group_links (
    entity      VARCHAR NOT NULL,
    grp         VARCHAR NOT NULL,
    valid_from  TIMESTAMP NOT NULL,
    reason      VARCHAR,
    seq         BIGINT NOT NULL
);

CREATE TABLE entity_domains (
    entity      VARCHAR NOT NULL,
    domain      VARCHAR NOT NULL,
    seq         BIGINT NOT NULL
);

ALTER TABLE persons ADD COLUMN email VARCHAR;

CREATE TABLE person_moves (
    person      VARCHAR NOT NULL,
    entity      VARCHAR NOT NULL,
    valid_from  TIMESTAMP NOT NULL,
    reason      VARCHAR NOT NULL,
    seq         BIGINT NOT NULL
);

CREATE TABLE recipient_warnings (
    subject     VARCHAR NOT NULL,        -- the entity or person added
    kind        VARCHAR NOT NULL,        -- 'entity' | 'person'
    warnings    VARCHAR NOT NULL,        -- JSON ["same domain as beta: acme.example", ...]
    seq         BIGINT NOT NULL
);
