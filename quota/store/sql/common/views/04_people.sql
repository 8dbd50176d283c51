-- people: each person with the entity whose receipts theirs add up to.
CREATE OR REPLACE TEMP VIEW people AS
SELECT person, entity, name FROM persons;
