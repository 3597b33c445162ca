"""Generate the small support-ticket corpus used by text_classifier.ipynb.

Each row is the first sentence of a (synthetic) customer support ticket and
the queue it was routed to: billing, technical, account or shipping.
Sentences are assembled from hand-written templates and slot values, so the
corpus is small, readable and fully reproducible: running this script twice
writes a byte-identical data/tickets.csv.

Like real routing data it is not perfectly clean: some templates sit between
two queues (a login problem can be "account" or "technical"), and about 3% of
the tickets were routed to the wrong queue by the agent (label noise).

Usage:
    python generate_corpus.py            # writes data/tickets.csv next to this file
"""

import csv
import random
from pathlib import Path

SEED = 7
PER_LABEL = 75
MISROUTED_SHARE = 0.03

SLOTS = {
    "amount": ["$12.99", "$49", "$19.99", "$120", "$7.50", "$89.00", "$240", "$35"],
    "month": ["January", "February", "March", "April", "May", "June", "July",
              "August", "September", "October", "November", "December"],
    "plan": ["Basic", "Pro", "Team", "Business", "Premium"],
    "device": ["iPhone", "Android phone", "Windows laptop", "MacBook", "iPad", "Chromebook"],
    "browser": ["Chrome", "Firefox", "Safari", "Edge"],
    "feature": ["the export button", "the dashboard", "file sync", "the search bar",
                "notifications", "the calendar view", "the reports page", "two-way sync"],
    "error": ["error 500", "a blank white screen", "\"connection timed out\"",
              "error code E-104", "\"something went wrong\"", "a spinning wheel forever"],
    "days": ["two days", "three days", "a week", "ten days", "two weeks", "five days"],
    "item": ["the charging cable", "the blender", "the replacement part", "the starter kit",
             "the headset", "the second box", "the printed manual", "the wall mount"],
    "carrier": ["the courier", "UPS", "DHL", "FedEx", "the post office"],
    "city": ["Berlin", "Austin", "Lyon", "Toronto", "Leeds", "Porto", "Denver", "Oslo"],
}

TEMPLATES = {
    "billing": [
        "I was charged {amount} twice this month, please refund one of the payments.",
        "My invoice for {month} shows {amount} but my plan should be cheaper.",
        "Why did my card get charged {amount} after I cancelled the {plan} plan?",
        "Can you send me a VAT invoice for the {month} payment?",
        "I upgraded to the {plan} plan and was billed the full price instead of the prorated amount.",
        "The payment failed but the money left my bank account anyway.",
        "Please change the billing address on my invoices to our office in {city}.",
        "I need a refund for the {amount} charge from {month}.",
        "Is there a discount if we pay yearly for the {plan} plan?",
        "My credit card expired, how do I update the payment method before the next charge?",
        "We were billed for 12 seats but only use 8, can you correct the invoice?",
        "The receipt for {month} is missing from the billing page.",
        "I don't recognise a charge of {amount} on my statement.",
        "Your system keeps declining my card when I try to pay the {month} invoice.",
        "Please cancel the automatic renewal, I do not want to be charged again.",
        "I was promised a coupon for {amount} off but it was not applied to my bill.",
        "The billing page shows {error} when I try to download my invoice.",
        "I can't log in to pay the {month} invoice and it is due tomorrow.",
    ],
    "technical": [
        "The app crashes every time I open {feature} on my {device}.",
        "I get {error} when I try to log in from {browser}.",
        "{feature} stopped working after the latest update.",
        "Sync has been stuck for {days} and my files are not updating on my {device}.",
        "The page loads forever in {browser} and then shows {error}.",
        "Since yesterday {feature} is extremely slow on my {device}.",
        "I keep seeing {error} when uploading a file larger than 20 MB.",
        "Push notifications no longer arrive on my {device}.",
        "The mobile app freezes when I switch between accounts.",
        "After installing the update on my {device} the app won't start at all.",
        "The API returns {error} for every request since this morning.",
        "{feature} shows the wrong data after I refresh the page in {browser}.",
        "Dark mode makes the text in {feature} unreadable.",
        "The desktop client uses 100% CPU on my {device} and drains the battery.",
        "Exports to CSV are empty even though the report has data.",
        "I cannot connect the integration, it fails with {error}.",
        "The password reset page shows {error} in {browser}.",
        "The order tracking page shows {error} on my {device}.",
    ],
    "account": [
        "I forgot my password and the reset email never arrives.",
        "How do I change the email address on my account?",
        "My account was locked after too many login attempts, please unlock it.",
        "Please delete my account and all of my personal data.",
        "I want to add a colleague from our {city} office to our {plan} workspace.",
        "How can I transfer ownership of the workspace to another admin?",
        "I lost my phone and can't pass two-factor authentication anymore.",
        "Can I merge my two accounts into one?",
        "Someone logged into my account from {city} and it wasn't me.",
        "I need to change the name on the account after getting married.",
        "How do I remove a former employee from our team account?",
        "The verification code for my new {device} never comes through.",
        "Can you reactivate the account I closed in {month}?",
        "I want to switch my login from Google sign-in to a normal password.",
        "Our admin left the company, how do we get admin rights back?",
        "Please update my username, I made a typo when signing up.",
        "I can't log in on my {device} since I changed my password.",
        "I changed my email address but the invoices still go to the old one.",
    ],
    "shipping": [
        "My order has not arrived after {days}, can you check where it is?",
        "The tracking number for {item} has not updated in {days}.",
        "{item} arrived damaged, the box was crushed.",
        "I received the wrong item, I ordered {item} but got something else.",
        "{carrier} says the parcel was delivered but I never got it.",
        "Can I change the delivery address to {city} before it ships?",
        "How long does shipping to {city} usually take?",
        "{item} is missing from the package I received today.",
        "The parcel is stuck at customs in {city}.",
        "{carrier} left a note but I was home all day.",
        "Can you ship {item} with express delivery instead?",
        "I want to return {item}, how do I get a return label?",
        "The estimated delivery date keeps moving, it's been {days} already.",
        "Do you ship to {city} and what are the delivery costs?",
        "My package was returned to sender, please resend {item}.",
        "I was told {item} would ship in {month} but it still hasn't left the warehouse.",
        "I paid for express shipping but {item} took {days} to arrive.",
        "The delivery status in my account has said pending for {days}.",
    ],
}

PREFIXES = ["", "", "", "", "Hi, ", "Hello, ", "Hi team, ", "Urgent: ", "Hey, "]
SUFFIXES = ["", "", "", "", " Thanks.", " Thank you!", " Please help.", " Any update?"]


def fill(template: str, rng: random.Random) -> str:
    values = {key: rng.choice(options) for key, options in SLOTS.items()}
    text = template.format(**values)
    prefix = rng.choice(PREFIXES)
    if prefix:
        # "Hi, the app crashes ..." but keep "Hi, I was ..." and "Hi, UPS says ...".
        if not text.startswith("I ") and text[1:2].islower():
            text = text[0].lower() + text[1:]
    else:
        text = text[0].upper() + text[1:]
    return prefix + text + rng.choice(SUFFIXES)


def generate(seed: int = SEED, per_label: int = PER_LABEL) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for label in sorted(TEMPLATES):
        seen: set[str] = set()
        while len(seen) < per_label:
            text = fill(rng.choice(TEMPLATES[label]), rng)
            if text not in seen:
                seen.add(text)
                rows.append((text, label))
    rng.shuffle(rows)
    # A few tickets were routed to the wrong queue by hand.
    labels = sorted(TEMPLATES)
    for i, (text, label) in enumerate(rows):
        if rng.random() < MISROUTED_SHARE:
            rows[i] = (text, rng.choice([other for other in labels if other != label]))
    return rows


def main() -> None:
    out = Path(__file__).resolve().parent / "data" / "tickets.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = generate()
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} tickets to {out}")


if __name__ == "__main__":
    main()
