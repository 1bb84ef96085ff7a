-- Counts of the findings in force per product (the sums of its releases' release_summary rows)
-- and its number of releases, kept by the transactions that change them: the portfolio sorts
-- and pages on this table's index instead of aggregating every release per request. The name is
-- kept here too (products are never renamed) so that the risk order, ties broken by name, is
-- read from the index alone.
CREATE TABLE product_summary (
	product      INTEGER PRIMARY KEY REFERENCES product(id),
	organization INTEGER NOT NULL REFERENCES organization(id),
	name         TEXT NOT NULL,
	releases     INTEGER NOT NULL DEFAULT 0,
	exploited    INTEGER NOT NULL DEFAULT 0,
	critical     INTEGER NOT NULL DEFAULT 0,
	high         INTEGER NOT NULL DEFAULT 0,
	medium       INTEGER NOT NULL DEFAULT 0,
	low          INTEGER NOT NULL DEFAULT 0,
	unrated      INTEGER NOT NULL DEFAULT 0,
	total        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX product_summary_risk ON product_summary(organization, exploited DESC, critical DESC, high DESC, name, product);
INSERT INTO product_summary (product, organization, name, releases, exploited, critical, high, medium, low, unrated, total)
	SELECT p.id, p.organization, p.name, count(r.id), COALESCE(sum(m.exploited), 0), COALESCE(sum(m.critical), 0),
		COALESCE(sum(m.high), 0), COALESCE(sum(m.medium), 0), COALESCE(sum(m.low), 0), COALESCE(sum(m.unrated), 0), COALESCE(sum(m.total), 0)
	FROM product p LEFT JOIN release r ON r.product = p.id LEFT JOIN release_summary m ON m.release = r.id
	GROUP BY p.id, p.organization, p.name;
