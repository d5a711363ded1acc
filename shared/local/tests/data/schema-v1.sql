-- A catalog file as the first releases wrote it (user_version 0): one live course naming a
-- teacher and a set, one deleted course in another set.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE courses (
    id TEXT PRIMARY KEY,
    datestamp INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX courses_by_datestamp ON courses (datestamp, id);
CREATE TABLE course_sets (
    spec TEXT NOT NULL,
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    PRIMARY KEY (spec, course_id)
);
CREATE INDEX course_sets_by_course ON course_sets (course_id);
CREATE TABLE teachers (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE sets (spec TEXT PRIMARY KEY, body TEXT NOT NULL);
INSERT INTO meta VALUES ('created_at', '1700000000');
INSERT INTO teachers VALUES ('rossi', '{"id":"rossi","first_name":"Maria","last_name":"Rossi"}');
INSERT INTO sets VALUES ('EcoBase', '{"spec":"EcoBase","name":"ECO"}');
INSERT INTO sets VALUES ('old', '{"spec":"old","name":"Old"}');
INSERT INTO courses VALUES ('a/b/c', 1700000100, 0, '{"course_id":"a/b/c","title":{"en":"T"},"description":{"en":"D"},"languages":["en"],"url":"https://x.org/","organizers":["O"],"teachers":["rossi"],"interest_area":"ECO:TS","sets":["EcoBase"]}');
INSERT INTO course_sets VALUES ('EcoBase', 'a/b/c');
INSERT INTO courses VALUES ('x/y/z', 1700000200, 1, '{"course_id":"x/y/z","title":{"en":"T"},"description":{"en":"D"},"languages":["en"],"url":"https://x.org/","organizers":["O"],"interest_area":"ECO:TS","sets":["old"]}');
INSERT INTO course_sets VALUES ('old', 'x/y/z');
