-- cap_permissions: X's written permissions to exceed the 30-day cap: for windows ending in [valid_from, valid_until).
CREATE OR REPLACE TEMP VIEW cap_permissions AS
SELECT ref, entity, cap, valid_from, valid_until FROM permissions;
