-- A notification channel may follow one product only (its subscribers); NULL: every product.
ALTER TABLE notification_channel ADD COLUMN product INTEGER REFERENCES product(id);
