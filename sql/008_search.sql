-- callbackd schema, migration 8: agents find a caller's callbacks by phone
-- number or customer reference, in any state.

CREATE INDEX callbacks_phone ON callbacks (phone);
CREATE INDEX callbacks_customer_ref ON callbacks (customer_ref)
    WHERE customer_ref IS NOT NULL;
