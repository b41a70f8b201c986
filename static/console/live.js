// The live control room: the room's events over /ws/livestream/{id}/ (JSON subprotocol); moderation, auctions
// (the run sheet too), flash sales and giveaways through the REST API with the page's CSRF token. It reconnects by itself and resumes with
// ?last_seq so that no event is missed. Every user-supplied text goes in with textContent, never as HTML.
"use strict";

(function () {
  const main = document.getElementById("main");
  const room = JSON.parse(main.dataset.room);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const streamId = room.stream_id;
  const state = { seq: null, bidding: null, ended: false, socket: null, retry: 0, mods: new Map(), bans: new Map(),
    sheet: [], sales: new Map(), giveaway: null };

  // --- REST calls: the session cookie plus the page's CSRF token -------------------------------------
  async function call(method, path, body) {
    const response = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const message = data && data.error ? data.error.message : `The server answered ${response.status}.`;
      throw new Error(message);
    }
    return data;
  }

  function notice(text, kind) {
    const el = $("notice");
    el.textContent = text;
    el.className = "flash " + (kind || "ok");
    el.hidden = false;
    clearTimeout(notice.timer);
    notice.timer = setTimeout(() => { el.hidden = true; }, 6000);
  }

  async function act(promise, done) {
    try {
      const result = await promise;
      if (done) notice(done);
      return result;
    } catch (err) {
      notice(err.message, "error");
      return undefined;
    }
  }

  // --- Chat ------------------------------------------------------------------------------------------
  function addMessage(m) {
    const item = $("message-item").content.firstElementChild.cloneNode(true);
    item.dataset.id = m.id;
    item.querySelector(".m-user").textContent = m.user.username;
    item.querySelector(".m-text").textContent = m.text;
    const mine = m.user.id === Number(main.dataset.me);
    item.querySelector(".m-actions").hidden = mine;
    item.querySelector(".m-delete").addEventListener("click", () =>
      act(call("DELETE", `/api/chat/messages/${streamId}/${m.id}/`), "Message deleted."));
    item.querySelector(".m-mute").addEventListener("click", () => moderate(m.user, 300));
    item.querySelector(".m-ban").addEventListener("click", () => moderate(m.user, null));
    item.querySelector(".m-mod").addEventListener("click", () => appoint(m.user));
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.appendChild(item);
    while (list.children.length > 300) list.removeChild(list.firstElementChild);
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function deleteMessage(id) {
    const item = $("messages").querySelector(`[data-id="${Number(id)}"]`);
    if (item) {
      item.classList.add("deleted");
      item.querySelector(".m-text").textContent = "(deleted)";
      item.querySelector(".m-actions").hidden = true;
    }
  }

  async function moderate(user, durationS) {
    const body = { user_id: user.id };
    if (durationS) body.duration_s = durationS;
    const verb = durationS ? `muted for ${Math.round(durationS / 60)} minutes` : "banned from this show";
    const ok = await act(call("POST", `/api/chat/livestreams/${streamId}/ban-user/`, body), `${user.username} is ${verb}.`);
    if (ok !== undefined) { state.bans.set(user.id, { user, kind: durationS ? "muted" : "banned" }); renderPeople(); }
  }

  async function appoint(user) {
    const ok = await act(call("POST", `/api/chat/livestreams/${streamId}/moderators/`, { user_id: user.id }),
      `${user.username} is a moderator.`);
    if (ok !== undefined) { state.mods.set(user.id, user); renderPeople(); }
  }

  function renderPeople() {
    const list = $("people");
    list.replaceChildren();
    const row = (label, buttonText, onClick) => {
      const li = document.createElement("li");
      const span = document.createElement("span");
      span.textContent = label;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = buttonText;
      button.addEventListener("click", onClick);
      li.append(span, " ", button);
      list.appendChild(li);
    };
    for (const user of state.mods.values()) {
      row(`${user.username} (moderator)`, "Remove", async () => {
        const ok = await act(call("DELETE", `/api/chat/livestreams/${streamId}/moderators/`, { user_id: user.id }),
          `${user.username} is no longer a moderator.`);
        if (ok !== undefined) { state.mods.delete(user.id); renderPeople(); }
      });
    }
    for (const { user, kind } of state.bans.values()) {
      row(`${user.username} (${kind})`, "Lift", async () => {
        const ok = await act(call("POST", `/api/chat/livestreams/${streamId}/unban-user/`, { user_id: user.id }),
          `${user.username} may chat again.`);
        if (ok !== undefined) { state.bans.delete(user.id); renderPeople(); }
      });
    }
    if (!list.children.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "No moderators or bans yet: use the buttons beside a message.";
      list.appendChild(li);
    }
  }

  function setPinned(text) {
    const el = $("pinned");
    el.textContent = text ? "📌 " + text : "";
    el.hidden = !text;
  }

  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("chat-text");
    const text = input.value.trim();
    if (!text || !state.socket || state.socket.readyState !== WebSocket.OPEN) return;
    state.socket.send(JSON.stringify({ type: "chat", data: { text, client_id: "c" + Date.now() } }));
    input.value = "";
  });

  $("settings-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const words = $("blocked-words").value.split(",").map((w) => w.trim()).filter(Boolean);
    act(call("PATCH", `/api/chat/livestreams/${streamId}/settings/`, {
      slow_mode_s: Number($("slow-mode").value || 0), blocked_words: words,
      pinned_message: $("pinned-message").value.trim() || null,
    }), "Chat settings saved.");
  });

  // --- Auctions --------------------------------------------------------------------------------------
  const money = (v) => {
    if (v === null || v === undefined) return "—";
    const n = Number(v);
    // Grouped like the server-rendered pages (money macro): 1,100.00.
    const text = Math.abs(n).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return (n < 0 ? "−₹" : "₹") + text;
  };

  function showBidding(b) {
    state.bidding = b;
    $("auction-idle").hidden = true;
    $("auction-running").hidden = false;
    $("auction-result").hidden = true;
    $("auction-product").textContent = `${b.product_name} · ${b.mode === "soft_close" ? "soft close" : "sudden death"}`;
    $("auction-price").textContent = money(b.current_amount !== null ? b.current_amount : b.starting_price);
    $("auction-leader").textContent = b.leader ? b.leader.username : "no bids yet";
    $("auction-bids").textContent = b.bids_count;
    $("bid-log").replaceChildren();
    tick();
  }

  function onBid(d) {
    if (!state.bidding || d.bidding_id !== state.bidding.id) return;
    state.bidding.current_amount = d.amount;
    state.bidding.leader = d.bidder;
    state.bidding.bids_count += 1;
    state.bidding.ends_at = d.ends_at;
    $("auction-price").textContent = money(d.amount);
    $("auction-leader").textContent = d.bidder.username;
    $("auction-bids").textContent = state.bidding.bids_count;
    const li = document.createElement("li");
    li.textContent = `${d.bidder.username}: ${money(d.amount)}${d.proxy ? " (auto)" : ""}`;
    $("bid-log").prepend(li);
  }

  function onClosed(d) {
    if (state.bidding && d.bidding_id !== state.bidding.id) return;
    state.bidding = null;
    $("auction-running").hidden = true;
    $("auction-idle").hidden = false;
    const result = $("auction-result");
    result.textContent = d.winner ? `Sold to ${d.winner.username} for ${money(d.amount)}. It is in their cart.`
      : "The auction closed without a winner.";
    result.hidden = false;
  }

  function countdown(until) {
    const left = Math.max(0, Math.round((Date.parse(until) - Date.now()) / 1000));
    return left >= 60 ? `${Math.floor(left / 60)}m ${left % 60}s` : `${left}s`;
  }

  function tick() {
    if (state.bidding) $("auction-countdown").textContent = countdown(state.bidding.ends_at);
    for (const { sale, item } of state.sales.values()) {
      if (sale.status === "open") item.querySelector(".f-countdown").textContent = `ends in ${countdown(sale.ends_at)}`;
    }
    if (state.giveaway) $("giveaway-countdown").textContent = countdown(state.giveaway.ends_at);
    const covered = Math.max(0, Math.round((Date.parse(room.covered_until) - Date.now()) / 1000));
    $("credit-left").textContent = covered >= 3600 ? `${Math.floor(covered / 3600)}h ${Math.floor(covered % 3600 / 60)}m`
      : `${Math.floor(covered / 60)}m ${covered % 60}s`;
  }
  setInterval(tick, 500);

  $("auction-close").addEventListener("click", () => {
    if (state.bidding) act(call("POST", `/api/livestreams/biddings/${state.bidding.id}/close/`), "Auction closed.");
  });

  // --- Run sheet: the show's scheduled auctions, started in order (their pre-bids apply at the start) ---------
  async function loadRunSheet() {
    let auctions;
    try {
      auctions = await call("GET", `/api/livestreams/livestreams/${streamId}/biddings/`);
    } catch (err) {
      return;  // the next event or reconnect loads it again
    }
    state.sheet = auctions.filter((a) => a.status === "scheduled");
    const list = $("run-sheet");
    list.replaceChildren();
    for (const a of state.sheet) {
      const item = $("sheet-item").content.firstElementChild.cloneNode(true);
      item.querySelector(".s-name").textContent = a.product_name;
      item.querySelector(".s-meta").textContent = `from ${money(a.starting_price)} · ${a.duration_s}s`;
      const button = item.querySelector(".s-start");
      button.setAttribute("aria-label", `Start the auction of ${a.product_name}`);
      button.addEventListener("click", () => startScheduled(a));
      list.appendChild(item);
    }
    $("run-sheet-empty").hidden = state.sheet.length > 0;
    $("start-next").hidden = state.sheet.length === 0;
  }

  async function startScheduled(a) {
    const started = await act(call("POST", `/api/livestreams/biddings/${a.id}/start/`),
      `Auction of ${a.product_name} started.`);
    if (started) { showBidding(started); loadRunSheet(); }
  }

  $("start-next").addEventListener("click", () => { if (state.sheet.length) startScheduled(state.sheet[0]); });

  // --- Flash sales: units at a price for a while; the room hears what is left a few times a second -------------
  function fillProducts(select) {
    select.replaceChildren(...room.products.map((p) => new Option(`${p.name} (${money(p.price)}, ${p.stock} in stock)`, p.id)));
  }
  fillProducts($("flash-form").product_id);
  fillProducts($("giveaway-form").product_id);

  function showSale(sale) {
    let entry = state.sales.get(sale.id);
    if (!entry) {
      const item = $("flash-item").content.firstElementChild.cloneNode(true);
      item.dataset.id = sale.id;
      const end = item.querySelector(".f-end");
      end.setAttribute("aria-label", `End the flash sale of ${sale.product.name}`);
      end.addEventListener("click", () =>
        act(call("POST", `/api/livestreams/flash-sales/${sale.id}/end/`), "Flash sale ended."));
      $("flash-list").prepend(item);
      entry = { sale, item };
      state.sales.set(sale.id, entry);
    }
    entry.sale = sale;
    const item = entry.item;
    item.querySelector(".f-name").textContent = sale.product.name;
    item.querySelector(".f-price").textContent = sale.price === sale.original_price ? money(sale.price)
      : `${money(sale.price)} (was ${money(sale.original_price)})`;
    item.querySelector(".f-quantity").textContent = sale.quantity;
    item.querySelector(".f-remaining").textContent = sale.remaining;
    if (sale.status !== "open") saleEnded(sale.id, sale.remaining, sale.version, null);
    else tick();
  }

  function saleLeft(id, remaining, version) {
    const entry = state.sales.get(id);
    if (!entry || version < entry.sale.version) return;  // an older count than the one shown
    entry.sale.remaining = remaining;
    entry.sale.version = version;
    entry.item.querySelector(".f-remaining").textContent = remaining;
  }

  function saleEnded(id, remaining, version, reason) {
    const entry = state.sales.get(id);
    if (!entry) return;
    saleLeft(id, remaining, version);
    entry.sale.status = "ended";
    entry.item.classList.add("ended");
    entry.item.querySelector(".f-end").hidden = true;
    const why = remaining === 0 ? "sold out" : reason === "seller" ? "ended by you" : "time is up";
    entry.item.querySelector(".f-countdown").textContent = `ended: ${why}`;
  }

  $("flash-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { product_id: Number(form.product_id.value), quantity: Number(form.quantity.value),
      duration_s: Number(form.duration_s.value) };
    if (form.price.value.trim()) body.price = form.price.value.trim();
    if (form.discount_percent.value.trim()) body.discount_percent = Number(form.discount_percent.value);
    if (form.per_buyer_limit.value.trim()) body.per_buyer_limit = Number(form.per_buyer_limit.value);
    const sale = await act(call("POST", `/api/livestreams/livestreams/${streamId}/flash-sales/`, body),
      "Flash sale started.");
    if (sale) { showSale(sale); $("flash-new").open = false; }
  });
  $("flash-form").duration_s.max = room.sale_max_duration_s;

  // --- Giveaway: one at a time; viewers in the room enter, one winner is drawn at the end ----------------------
  const eligibility = { everyone: "everyone watching", followers: "your followers", buyers: "your buyers" };

  function showGiveaway(g) {
    state.giveaway = g;
    $("giveaway-running").hidden = false;
    $("giveaway-result").hidden = true;
    $("giveaway-new").hidden = true;
    $("giveaway-product").textContent = `${g.product.name} · open to ${eligibility[g.eligibility]}`;
    $("giveaway-entries").textContent = g.entries;
    tick();
  }

  function giveawayEntries(d) {
    if (!state.giveaway || d.id !== state.giveaway.id || d.version < state.giveaway.version) return;
    state.giveaway.entries = d.entries;
    state.giveaway.version = d.version;
    $("giveaway-entries").textContent = d.entries;
  }

  function giveawayEnded(d) {
    if (state.giveaway && d.id !== state.giveaway.id) return;
    state.giveaway = null;
    $("giveaway-running").hidden = true;
    $("giveaway-new").hidden = false;
    const result = $("giveaway-result");
    const entries = `${d.entries} ${d.entries === 1 ? "entry" : "entries"}`;
    result.textContent = d.winner ? `${d.winner.username} won the giveaway (${entries}). Their order is placed at ₹0.`
      : `Nobody eligible entered (${entries}); the prize went back to stock.`;
    result.hidden = false;
  }

  $("giveaway-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { product_id: Number(form.product_id.value), duration_s: Number(form.duration_s.value),
      eligibility: form.eligibility.value };
    const g = await act(call("POST", `/api/livestreams/livestreams/${streamId}/giveaways/`, body),
      "Giveaway started.");
    if (g) { showGiveaway(g); $("giveaway-new").open = false; }
  });
  $("giveaway-form").duration_s.max = room.sale_max_duration_s;

  $("giveaway-draw").addEventListener("click", () => {
    if (state.giveaway) act(call("POST", `/api/livestreams/giveaways/${state.giveaway.id}/draw/`), "Drawn.");
  });

  function renderQueue(products, pinned) {
    const list = $("queue");
    list.replaceChildren();
    for (const p of products) {
      const item = $("queue-item").content.firstElementChild.cloneNode(true);
      item.dataset.id = p.id;
      item.classList.toggle("pinned", p.id === pinned);
      item.querySelector(".q-name").textContent = p.name;
      item.querySelector(".q-meta").textContent = `${money(p.price)} · ${p.stock} in stock`;
      item.querySelector(".q-pin").addEventListener("click", () =>
        act(call("POST", `/api/livestreams/livestreams/${streamId}/pin-product/`, { product_id: p.id }), `${p.name} pinned.`));
      const form = item.querySelector(".q-form");
      form.starting_price.value = p.price;
      form.duration_s.min = room.min_duration_s;
      form.duration_s.max = room.max_duration_s;
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const body = { product_id: p.id, starting_price: form.starting_price.value.trim(),
          duration_s: Number(form.duration_s.value), mode: form.mode.value };
        if (form.min_increment.value.trim()) body.min_increment = form.min_increment.value.trim();
        if (form.reserve_price.value.trim()) body.reserve_price = form.reserve_price.value.trim();
        const opened = await act(call("POST", `/api/livestreams/livestreams/${streamId}/biddings/`, body),
          `Auction of ${p.name} started.`);
        if (opened) { item.querySelector(".q-auction").open = false; showBidding(opened); }
      });
      list.appendChild(item);
    }
  }

  function markPinned(productId) {
    for (const li of $("queue").children) li.classList.toggle("pinned", Number(li.dataset.id) === productId);
  }

  $("end-show").addEventListener("click", async () => {
    if (!window.confirm("End the show for everyone?")) return;
    await act(call("POST", `/api/livestreams/livestreams/${streamId}/end/`), "The show has ended.");
  });

  // --- The room's events -----------------------------------------------------------------------------
  function onEvent(frame) {
    const d = frame.data || {};
    switch (frame.type) {
      case "hello":
        if (d.you) main.dataset.me = d.you.id;
        $("messages").replaceChildren();
        d.chat.forEach(addMessage);
        $("viewers").textContent = d.viewers;
        setPinned(d.pinned_message);
        renderQueue(d.livestream.products, d.livestream.pinned_product);
        if (d.bidding) showBidding(d.bidding);
        loadRunSheet();
        onHelloSales(d.flash_sales || [], d.giveaway || null);
        if (d.livestream.status === "ended") ended("ended");
        break;
      case "chat": addMessage(d); break;
      case "chat_deleted": deleteMessage(d.id); break;
      case "chat_pinned": setPinned(d.message); break;
      case "viewers": $("viewers").textContent = d.count; break;
      case "product_pinned": markPinned(d.product.id); break;
      case "bidding_started": showBidding(d); loadRunSheet(); break;
      case "bidding_extended": if (state.bidding && d.id === state.bidding.id) state.bidding.ends_at = d.ends_at; break;
      case "bid": onBid(d); break;
      case "bidding_closed": onClosed(d); break;
      case "flash_sale_started": showSale(d); break;
      case "flash_sale_updated": saleLeft(d.id, d.remaining, d.version); break;
      case "flash_sale_ended": saleEnded(d.id, d.remaining, d.version, d.reason); break;
      case "giveaway_started": showGiveaway(d); break;
      case "giveaway_updated": giveawayEntries(d); break;
      case "giveaway_ended": giveawayEnded(d); break;
      case "stream_ended": ended(d.reason); break;
      case "resync": state.seq = null; reconnect(0); break;
      case "error": notice(d.message, "error"); break;
      default: break;
    }
  }

  // What hello says is open now; a sale shown as open that is not any more ended while the page was away.
  function onHelloSales(open, giveaway) {
    const ids = new Set(open.map((sale) => sale.id));
    for (const { sale } of state.sales.values()) {
      if (sale.status === "open" && !ids.has(sale.id)) saleEnded(sale.id, sale.remaining, sale.version, null);
    }
    open.forEach(showSale);
    if (giveaway) showGiveaway(giveaway);
    else if (state.giveaway) { state.giveaway = null; $("giveaway-running").hidden = true; $("giveaway-new").hidden = false; }
  }

  function ended(reason) {
    state.ended = true;
    $("status").textContent = "ended";
    $("status").classList.remove("live");
    $("end-show").disabled = true;
    const why = reason === "credits" ? " Your credits ran out." : "";
    notice(`The show has ended.${why}`, reason === "credits" ? "error" : "ok");
    $("connection").textContent = "ended";
    if (state.socket) state.socket.close(1000);
  }

  function setConnection(text, kind) {
    const el = $("connection");
    el.textContent = text;
    el.dataset.state = kind;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const resume = state.seq === null ? "" : `?last_seq=${state.seq}`;
    const socket = new WebSocket(`${scheme}://${location.host}/ws/livestream/${streamId}/${resume}`, "json");
    state.socket = socket;
    socket.addEventListener("open", () => { state.retry = 0; setConnection("connected", "open"); });
    socket.addEventListener("message", (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type !== "ack" && frame.type !== "error" && typeof frame.seq === "number") {
        state.seq = Math.max(state.seq || 0, frame.seq);
      }
      onEvent(frame);
    });
    socket.addEventListener("close", () => {
      if (state.socket !== socket || state.ended) return;
      reconnect(Math.min(10000, 500 * 2 ** state.retry++));
      setConnection("reconnecting…", "closed");
    });
  }

  function reconnect(delayMs) {
    if (state.socket) {
      const old = state.socket;
      state.socket = null;
      old.close();
    }
    setTimeout(connect, delayMs);
  }

  // The seller's own notifications: the credit warning comes there.
  function connectNotifications() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/notifications/`, "json");
    socket.addEventListener("message", (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === "credit_warning" && frame.data.livestream_id === streamId) {
        const at = new Date(frame.data.ends_at).toLocaleTimeString();
        const warning = $("warning");
        warning.textContent = `Out of credits: buy more on the Money page or the show ends at ${at}.`;
        warning.hidden = false;
        room.covered_until = frame.data.ends_at;
      }
    });
    socket.addEventListener("close", () => { if (!state.ended) setTimeout(connectNotifications, 3000); });
  }

  for (const m of room.moderators) state.mods.set(m.id, m);
  renderPeople();
  $("slow-mode").value = room.settings.slow_mode_s;
  $("blocked-words").value = (room.settings.blocked_words || []).join(", ");
  renderQueue(room.products, null);
  tick();
  connect();
  connectNotifications();
})();
