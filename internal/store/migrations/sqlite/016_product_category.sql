-- Product categories come from a controlled list (internal/catalog/data/categories.yaml). Free
-- text stored before is mapped where it clearly names a category of the list; what does not map
-- is kept in category_unmapped and the category emptied, so the product shows as needing a
-- category and gets no label until one is chosen.
ALTER TABLE product ADD COLUMN category_unmapped TEXT NOT NULL DEFAULT '';
UPDATE product SET category_unmapped = category;
UPDATE product SET category = replace(replace(lower(trim(category)), ' ', '-'), '_', '-');
UPDATE product SET category = 'router' WHERE category IN ('routers', 'modem', 'switch', 'wlan-router', 'wifi-router', 'wi-fi-router', 'broadband-router', 'home-router', 'dsl-router', 'cable-modem');
UPDATE product SET category = 'smart-plug' WHERE category IN ('smart-plugs', 'plug', 'smart-socket', 'smartplug');
UPDATE product SET category = 'camera' WHERE category IN ('cameras', 'ip-camera', 'security-camera', 'smart-camera', 'webcam', 'doorbell-camera');
UPDATE product SET category = 'smart-speaker' WHERE category IN ('smart-speakers', 'voice-assistant', 'smartspeaker');
UPDATE product SET category = 'baby-monitor' WHERE category IN ('baby-monitors', 'babyphone', 'baby-phone');
UPDATE product SET category = 'smart-lock' WHERE category IN ('smart-locks', 'door-lock', 'smart-door-lock');
UPDATE product SET category = 'thermostat' WHERE category IN ('thermostats', 'smart-thermostat');
UPDATE product SET category = 'wearable' WHERE category IN ('wearables', 'smartwatch', 'smart-watch', 'fitness-tracker');
UPDATE product SET category = 'smart-consumer-device' WHERE category IN ('smart-consumer-devices', 'consumer-iot', 'iot-device', 'smart-device', 'smart-home-device');
UPDATE product SET category_unmapped = '' WHERE category IN ('router', 'smart-plug', 'camera', 'smart-speaker', 'baby-monitor', 'smart-lock', 'alarm-system', 'thermostat', 'smart-lighting', 'smart-tv', 'smart-appliance', 'wearable', 'connected-toy', 'smart-home-hub', 'smart-consumer-device');
UPDATE product SET category = '' WHERE category_unmapped <> '';
