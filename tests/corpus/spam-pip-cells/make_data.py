"""Writes spam.csv: synthetic SMS messages in the layout of the Kaggle SMS spam collection
(latin-1 encoded, columns v1/v2 and three mostly empty 'Unnamed' columns)."""
import csv
import numpy as np

rng = np.random.default_rng(5574)
ham_t = ["Ok lar... see you at {place} {when}", "I'll be home {when}, do you want anything from {place}?",
         "Sorry, I'll call you {when}", "Did you finish the {thing}? Mum says hi", "Haha that's so funny, cant wait for {when}",
         "Are you coming to {place} {when}?", "Going to {place} now, running a bit late", "Thanks for the {thing}, it was lovely",
         "Can you pick up the {thing} {when}?", "Nah I don't think he goes to {place}, he lives around here though",
         "Hey, what's up? Café at {place} {when}?", "Yup, I'm at {place} already", "Just saw your msg, will reply {when}"]
spam_t = ["WINNER!! You have been selected to receive a £{amt} prize. Call {num} now to claim",
          "URGENT! Your mobile number has won £{amt}. Text CLAIM to {short} T&Cs apply",
          "FREE entry in 2 a wkly comp to win FA Cup final tkts. Text FA to {short} to receive entry",
          "Congratulations! You've won a free {thing}. Reply YES to {short} to claim. Std txt rate",
          "You have 1 new voicemail. Please call {num} now to listen. Cost £1.50/min",
          "Had your mobile 11 months or more? U R entitled to update to the latest colour camera mobile for Free! Call {num}",
          "SIX chances to win CASH! From £100 to £{amt} txt> CSH11 and send to {short}",
          "Claim your £{amt} reward now! Offer ends {when}. Call {num}"]
fill = {"place": ["the pub", "tesco", "uni", "the station", "work", "the gym", "mum's", "the cinema"],
        "when": ["later", "tonight", "tomorrow", "in 10 mins", "on sunday", "after class", "soon"],
        "thing": ["assignment", "cake", "tickets", "ipod", "holiday voucher", "pizza", "nokia phone"],
        "amt": ["100", "250", "500", "1000", "2000", "5000"]}
rows = []
for i in range(1500):
    is_spam = rng.random() < 0.14
    t = str(rng.choice(spam_t if is_spam else ham_t))
    msg = t.format(place=rng.choice(fill["place"]), when=rng.choice(fill["when"]), thing=rng.choice(fill["thing"]),
                   amt=rng.choice(fill["amt"]), num=f"0{rng.integers(8000000000, 9099999999)}", short=str(rng.integers(80000, 89999)))
    extra = ["", "", ""]
    if rng.random() < 0.01:
        extra[0] = " gt;:-)"
    rows.append(["spam" if is_spam else "ham", msg] + extra)
with open("spam.csv", "w", newline="", encoding="latin-1") as f:
    w = csv.writer(f)
    w.writerow(["v1", "v2", "", "", ""])
    w.writerows(rows)
