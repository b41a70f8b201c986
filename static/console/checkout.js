// Production credit purchase: Razorpay Checkout collects the payment, and its signed result is posted to
// the console, which verifies the signature before adding any credit.
"use strict";

(function () {
  const form = document.getElementById("rzp-result");
  if (!form || typeof window.Razorpay !== "function") return;
  document.getElementById("pay").addEventListener("click", () => {
    const checkout = new window.Razorpay({
      key: form.dataset.key, order_id: form.dataset.order, amount: Number(form.dataset.amount), currency: "INR",
      name: "Live-show credits", description: form.dataset.name,
      handler(result) {
        form.razorpay_order_id.value = result.razorpay_order_id;
        form.razorpay_payment_id.value = result.razorpay_payment_id;
        form.razorpay_signature.value = result.razorpay_signature;
        form.submit();
      },
    });
    checkout.open();
  });
})();
