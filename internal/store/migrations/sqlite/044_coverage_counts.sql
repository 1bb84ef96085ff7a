-- What the portfolio sums of a release's coverage, kept beside the coverage record by the
-- transaction that writes it: the components, those the matching checked, and per base
-- ecosystem the components with a version to compare (checked whenever the database holds
-- advisories of that ecosystem, so a page restates them against the database as it is). The
-- sums per product are kept as well, recounted from the releases' counts by the transactions
-- that change them, so that a portfolio page reads them with its products' rows instead of
-- decoding (or adding up) every release's record per request.
ALTER TABLE release_coverage ADD COLUMN components INTEGER NOT NULL DEFAULT 0;
ALTER TABLE release_coverage ADD COLUMN checked INTEGER NOT NULL DEFAULT 0;
CREATE TABLE release_coverage_ecosystem (
	release   INTEGER NOT NULL REFERENCES release(id),
	ecosystem TEXT NOT NULL,
	checkable INTEGER NOT NULL,
	PRIMARY KEY (release, ecosystem)
);
UPDATE release_coverage SET components = COALESCE(json_extract(coverage, '$.components'), 0),
	checked = COALESCE(json_extract(coverage, '$.checked'), 0);
INSERT INTO release_coverage_ecosystem (release, ecosystem, checkable)
	SELECT c.release, COALESCE(json_extract(e.value, '$.ecosystem'), ''), sum(COALESCE(json_extract(e.value, '$.components'), 0)
		- COALESCE(json_extract(e.value, '$.noVersion'), 0) - COALESCE(json_extract(e.value, '$.unparseableVersion'), 0))
	FROM release_coverage c, json_each(c.coverage, '$.ecosystems') e
	WHERE json_type(c.coverage, '$.ecosystems') = 'array'
	GROUP BY c.release, COALESCE(json_extract(e.value, '$.ecosystem'), '');
ALTER TABLE product_summary ADD COLUMN coverage_releases INTEGER NOT NULL DEFAULT 0;
ALTER TABLE product_summary ADD COLUMN coverage_components INTEGER NOT NULL DEFAULT 0;
ALTER TABLE product_summary ADD COLUMN coverage_checked INTEGER NOT NULL DEFAULT 0;
CREATE TABLE product_coverage_ecosystem (
	product   INTEGER NOT NULL REFERENCES product(id),
	ecosystem TEXT NOT NULL,
	checkable INTEGER NOT NULL,
	PRIMARY KEY (product, ecosystem)
);
UPDATE product_summary SET coverage_releases = (SELECT count(*) FROM release_coverage c JOIN release r ON r.id = c.release WHERE r.product = product_summary.product),
	coverage_components = (SELECT COALESCE(sum(c.components), 0) FROM release_coverage c JOIN release r ON r.id = c.release WHERE r.product = product_summary.product),
	coverage_checked = (SELECT COALESCE(sum(c.checked), 0) FROM release_coverage c JOIN release r ON r.id = c.release WHERE r.product = product_summary.product);
INSERT INTO product_coverage_ecosystem (product, ecosystem, checkable)
	SELECT r.product, e.ecosystem, sum(e.checkable) FROM release_coverage_ecosystem e JOIN release r ON r.id = e.release GROUP BY r.product, e.ecosystem;
