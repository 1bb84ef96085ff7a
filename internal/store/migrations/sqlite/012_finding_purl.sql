-- Re-matching after an update reads the findings of the few packages it matched again, by
-- release and package: without this index it read every finding of the release.
CREATE INDEX finding_release_purl ON finding(release, purl);
