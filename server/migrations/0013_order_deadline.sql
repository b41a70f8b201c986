-- Each unpaid order keeps the payment deadline it was placed with: a later change of
-- commerce.order_payment_timeout_s applies to new orders only. Orders placed before this
-- migration have none and fall back to created_at plus the configured timeout.
ALTER TABLE orders ADD COLUMN pay_by timestamptz;
CREATE INDEX orders_pay_by ON orders (pay_by) WHERE status = 'pending_payment';
