#!/usr/bin/env python3
"""Builds code-labelled.jsonl: a labelled set for code_score ("contains code" = the page holds at
least one code block of two or more lines, fenced, indented or bare). Every paragraph and snippet
below was written for DataForge (CC0). Run: python3 code-labelled-gen.py > code-labelled.jsonl"""
import json, random

rng = random.Random(2026)

PROSE = {
 "cooking": [
  "A good risotto is mostly patience. Warm the stock in a separate pan, toast the rice in butter until the edges turn translucent, and then add the stock one ladle at a time, stirring until each addition has been absorbed.",
  "Bread dough needs time more than it needs effort. After a short knead, leave it covered in a cool kitchen overnight; the slow rise develops flavour that a quick, warm proof never reaches.",
  "When you roast vegetables, give them space on the tray. Crowded pieces steam in their own moisture, while pieces with room around them brown at the edges and taste much sweeter.",
  "Our grandmother never measured anything. She judged the flour by the feel of the dough and the salt by taste, and her dumplings were the same every single Sunday for forty years.",
 ],
 "travel": [
  "The night train from Vienna reaches the coast just after sunrise. If you book a sleeper cabin, ask for the side facing the sea; the last hour of the journey runs along the cliffs.",
  "Lisbon rewards walkers with strong legs. The old districts climb steep hills, the pavements are polished limestone, and the best views appear at the top of stairways that are not on any map.",
  "Pack less than you think you need. A small bag makes every connection easier, and most towns have a laundry within a few streets of the station.",
  "We spent three days in the mountain village without a single plan. Mornings were for the market, afternoons for long walks between orchards, and evenings for the one restaurant on the square.",
 ],
 "history": [
  "The canal took eleven years to dig and employed thousands of labourers, many of whom had walked from neighbouring provinces. When it opened, the price of grain in the capital fell by almost a third.",
  "Medieval town charters often fixed the dates of markets and fairs. Merchants travelled along a circuit of these fairs, and the dates were arranged so that one ended shortly before the next began.",
  "Letters from the period show how slowly news travelled. A treaty signed in early spring could still be unknown in distant garrisons by the end of summer.",
  "The printing workshop employed compositors, pressmen and correctors, and the surviving account books record the cost of paper as the largest single expense of every edition.",
 ],
 "science": [
  "Bees communicate the direction of food with a waggle dance. The angle of the dance relative to vertical matches the angle between the sun and the food source, and the length of the waggle run encodes distance.",
  "Plate tectonics explains why earthquakes cluster along certain lines. Where plates grind past each other, stress builds for decades and is released in a few seconds of violent movement.",
  "A rainbow appears when sunlight is refracted, reflected and refracted again inside raindrops. Each colour leaves the drop at a slightly different angle, which spreads white light into a band.",
  "The deep ocean is colder and darker than almost anywhere on land, yet hydrothermal vents support dense communities of animals that depend on bacteria rather than sunlight.",
 ],
 "finance": [
  "An emergency fund is less about returns than about sleep. Three to six months of expenses in a plain savings account keeps a lost job or a broken car from turning into high-interest debt.",
  "Index funds spread money across hundreds of companies at low cost. Over long periods, the low fees matter more than most investors expect, because they compound year after year.",
  "Before signing a loan, read the schedule of payments rather than the advertised rate. Fees added at the start can make a cheap-looking loan more expensive than a plainer one.",
  "Small businesses often fail from cash flow, not from a lack of customers. An invoice paid ninety days late can empty an account that looked healthy on paper.",
 ],
 "sports": [
  "The home side scored twice in the last ten minutes to turn a tense draw into a comfortable win, and the crowd stayed long after the whistle to applaud the players off the pitch.",
  "Marathon training is built on easy miles. Most runners who get injured do so because they run their easy days too fast, leaving no energy for the long run at the weekend.",
  "The young goalkeeper made three saves in the penalty shoot-out, the last one diving to his left after waiting until the very last moment.",
  "Cycling clubs in the valley organise a slow ride every Sunday morning, with a coffee stop halfway and nobody left behind on the climbs.",
 ],
 "gardening": [
  "Tomatoes want sun, steady water and a little neglect. Too much fertiliser gives you tall, leafy plants with very little fruit, while a lean soil pushes them to flower.",
  "Compost is simply managed decay. Mix green material such as grass clippings with brown material such as dry leaves, keep the heap damp, and turn it every few weeks.",
  "Plant garlic in autumn, a hand's width apart and pointed end up. It sits quietly through the winter and grows quickly as soon as the soil warms in spring.",
 ],
 "health": [
  "Regular sleep times matter as much as the number of hours. Going to bed and waking at the same time every day, even at weekends, helps the body clock settle.",
  "A short walk after meals can soften the rise in blood sugar that follows eating, and it is easier to fit into a busy day than a long session at the gym.",
  "Drinking water before you feel thirsty is a habit worth building, particularly for older adults, whose sense of thirst tends to weaken with age.",
 ],
}

# Technical prose without code blocks (hard negatives).
TECH = [
  "Python has become the default language for data science, largely because of its libraries. Analysts who once worked in spreadsheets now write short scripts, and universities teach it in the first year.",
  "Our team moved from a monolith to a handful of services last year. The main lesson was that deployment got easier while debugging got harder, because a single request now crosses four processes.",
  "The new release of the framework focuses on startup time. According to the maintainers, most applications should start about thirty percent faster without any changes to their configuration.",
  "Code review is a conversation, not a gate. A reviewer who explains why a change is risky teaches more than one who simply asks for it to be rewritten.",
  "Learning a second programming language changes how you write the first. After a few months of Rust, many developers find themselves thinking more carefully about who owns each piece of data.",
  "The conference had talks on compilers, databases and developer tools. The most popular session explained how a query planner decides between an index scan and a full table scan.",
  "Remote teams depend on written communication. Clear issue descriptions, short design documents and honest status updates replace the conversations that used to happen at someone's desk.",
  "When the service slowed down, the on-call engineer checked the dashboards first: memory was flat, but the number of open database connections had doubled since the morning deploy.",
  "Version control lets a team experiment without fear. A branch costs nothing, and a change that turns out badly can be reverted in seconds.",
  "Use the `len` function for the number of items and remember that `range` stops before its end value; beginners often trip over that second rule.",
]

# Hard negatives with symbols, numbering or formulas but no code.
HARD = [
  "Exercise 4. Solve for x: 3x + 7 = 22. Subtract 7 from both sides to get 3x = 15, and divide by 3, so x = 5. Check: 3(5) + 7 = 22. Then try 5y - 4 = 2y + 11 on your own.",
  "Section 12 (Termination). Either party may terminate this agreement with thirty days' written notice; provided, however, that obligations under Sections 7, 9 and 11 survive termination; and provided further that fees already paid are not refundable.",
  "Ingredients: 500 g flour; 320 ml water; 10 g salt; 4 g yeast.\nMethod:\n1. Mix flour and water and rest for 30 minutes.\n2. Add salt and yeast; knead for 8 minutes.\n3. Prove for 2 hours at 24 °C.",
  "Results (n = 240): mean score 71.4 (SD = 9.2) in the treatment group versus 66.9 (SD = 10.1) in the control group; p < 0.01. Effect size d = 0.47.",
  "The roses are red,\n    the violets blue,\nthe garden is quiet\n    and waiting for you.\nThe swallows come back\n    when the evenings grow long,\nand the whole of the valley\n    is filled with their song.",
  "Price list (2024): single room 85 EUR / night; double room 120 EUR / night; breakfast +12 EUR per person; parking 8 EUR / day. Prices include VAT = 10 %.",
]

SNIPPETS = {
 "python": [
  "def mean(values):\n    if not values:\n        raise ValueError(\"empty list\")\n    return sum(values) / len(values)\n\nprint(mean([2, 4, 9]))",
  "import csv\n\nwith open(\"sales.csv\", newline=\"\") as f:\n    reader = csv.DictReader(f)\n    total = sum(float(row[\"amount\"]) for row in reader)\nprint(f\"total: {total:.2f}\")",
  "class Stack:\n    def __init__(self):\n        self._items = []\n\n    def push(self, item):\n        self._items.append(item)\n\n    def pop(self):\n        return self._items.pop()",
 ],
 "javascript": [
  "const debounce = (fn, ms) => {\n  let timer;\n  return (...args) => {\n    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), ms);\n  };\n};",
  "fetch('/api/users')\n  .then((res) => res.json())\n  .then((users) => {\n    users.forEach((u) => console.log(u.name));\n  })\n  .catch((err) => console.error(err));",
  "document.querySelector('#save').addEventListener('click', async () => {\n  const body = JSON.stringify({ title: input.value });\n  await fetch('/notes', { method: 'POST', body });\n});",
 ],
 "typescript": [
  "interface User {\n  id: number;\n  name: string;\n  email?: string;\n}\n\nfunction greet(user: User): string {\n  return `Hello, ${user.name}`;\n}",
  "export async function retry<T>(fn: () => Promise<T>, times = 3): Promise<T> {\n  for (let i = 0; i < times - 1; i++) {\n    try { return await fn(); } catch { /* try again */ }\n  }\n  return fn();\n}",
 ],
 "java": [
  "public class Counter {\n    private int count = 0;\n\n    public synchronized void increment() {\n        count++;\n    }\n\n    public int get() {\n        return count;\n    }\n}",
  "List<String> names = people.stream()\n    .filter(p -> p.getAge() >= 18)\n    .map(Person::getName)\n    .sorted()\n    .collect(Collectors.toList());",
 ],
 "csharp": [
  "public static async Task<int> CountLinesAsync(string path)\n{\n    int n = 0;\n    using var reader = new StreamReader(path);\n    while (await reader.ReadLineAsync() is not null) n++;\n    return n;\n}",
  "var adults = people\n    .Where(p => p.Age >= 18)\n    .OrderBy(p => p.Name)\n    .Select(p => p.Name)\n    .ToList();\nConsole.WriteLine(string.Join(\", \", adults));",
 ],
 "c": [
  "#include <stdio.h>\n\nint main(void) {\n    int sum = 0;\n    for (int i = 1; i <= 10; i++) {\n        sum += i;\n    }\n    printf(\"%d\\n\", sum);\n    return 0;\n}",
  "static size_t count_words(const char *s) {\n    size_t n = 0;\n    int in_word = 0;\n    for (; *s; s++) {\n        if (isspace((unsigned char)*s)) in_word = 0;\n        else if (!in_word) { in_word = 1; n++; }\n    }\n    return n;\n}",
 ],
 "cpp": [
  "#include <vector>\n#include <algorithm>\n\nstd::vector<int> v{5, 3, 8, 1};\nstd::sort(v.begin(), v.end());\nfor (auto x : v) std::cout << x << ' ';",
  "template <typename T>\nT clamp(T value, T lo, T hi) {\n    return std::max(lo, std::min(value, hi));\n}",
 ],
 "go": [
  "func readLines(path string) ([]string, error) {\n\tf, err := os.Open(path)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\tdefer f.Close()\n\tvar lines []string\n\ts := bufio.NewScanner(f)\n\tfor s.Scan() {\n\t\tlines = append(lines, s.Text())\n\t}\n\treturn lines, s.Err()\n}",
  "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tch := make(chan int)\n\tgo func() { ch <- 42 }()\n\tfmt.Println(<-ch)\n}",
 ],
 "rust": [
  "fn largest(items: &[i32]) -> Option<i32> {\n    let mut best = *items.first()?;\n    for &x in items {\n        if x > best {\n            best = x;\n        }\n    }\n    Some(best)\n}",
  "use std::collections::HashMap;\n\nlet mut counts: HashMap<&str, usize> = HashMap::new();\nfor word in text.split_whitespace() {\n    *counts.entry(word).or_insert(0) += 1;\n}",
 ],
 "sql": [
  "SELECT c.name, COUNT(o.id) AS orders\nFROM customers c\nLEFT JOIN orders o ON o.customer_id = c.id\nWHERE o.created_at >= '2024-01-01'\nGROUP BY c.name\nORDER BY orders DESC;",
  "CREATE TABLE books (\n    id INTEGER PRIMARY KEY,\n    title TEXT NOT NULL,\n    author_id INTEGER REFERENCES authors(id),\n    published DATE\n);",
 ],
 "shell": [
  "#!/bin/sh\nfor f in *.log; do\n  gzip \"$f\"\ndone\nfind . -name '*.gz' -mtime +30 -delete",
  "$ git checkout -b fix-typo\n$ git add README.md\n$ git commit -m \"Fix typo in README\"\n$ git push origin fix-typo",
 ],
}

INTRO = {
 "python": ["Here is a small helper I keep coming back to.", "The standard library already covers this case.", "A class is enough for a simple stack."],
 "javascript": ["Debouncing stops a handler from firing on every keystroke.", "The fetch API returns promises, so the calls chain naturally.", "The button handler posts the note as JSON."],
 "typescript": ["An interface describes the shape of the data.", "A generic retry helper keeps the calling code short."],
 "java": ["Marking the method synchronized makes the counter safe across threads.", "Streams make the filtering step read like a sentence."],
 "csharp": ["Reading asynchronously keeps the UI responsive.", "LINQ expresses the query in a few lines."],
 "c": ["The classic first exercise sums the numbers from one to ten.", "Counting words only needs a flag that remembers whether we are inside a word."],
 "cpp": ["Sorting a vector takes one call to the standard library.", "A function template works for any comparable type."],
 "go": ["Reading a file line by line is a common task in Go.", "Channels let goroutines hand values to each other."],
 "rust": ["Returning an Option makes the empty case explicit.", "Counting words with a HashMap uses the entry API."],
 "sql": ["The report query joins customers to their orders.", "The schema for the catalogue starts with the books table."],
 "shell": ["A short script compresses old logs and removes archives older than a month.", "The whole change takes four commands."],
}
OUTRO = [
  "Run it once with a small input before using it on real data.",
  "If you need more than this, the documentation has a longer example.",
  "The important part is the loop; everything else is setup.",
  "Let me know in the comments if this works for you.",
  "This is not the fastest version, but it is easy to read.",
  "Edit: fixed a typo in the second line, thanks to a reader for pointing it out.",
]
QUESTION = [
  "I am trying to make this work but it fails on an empty input. What am I doing wrong?",
  "How do I do this without loading the whole file into memory?",
  "Is there a more idiomatic way to write the following?",
]

CODE_DOMAINS = ["github.com", "stackoverflow.com", "docs.python.org", "developer.mozilla.org", "gist.github.com", "dev.to"]
OTHER_DOMAINS = ["example-news.com", "dailyreader.net", "myblog.example.org", "kitchenstories.example.com", "travelnotes.example.net", "citypaper.example.com", "notes.example.io"]

def prose(topic, k):
    ps = PROSE[topic][:]
    rng.shuffle(ps)
    return ps[:k]

def render(code, lang, style):
    if style == "fenced":
        return "```" + ("" if rng.random() < 0.3 else lang) + "\n" + code + "\n```"
    if style == "indented":
        return "\n".join(("    " + l) if l else "" for l in code.split("\n"))
    return code  # bare, e.g. copied from a page without markup

docs = []
def add(text, label, kind, url):
    docs.append({"id": f"code-{len(docs)+1:04d}", "label": label, "kind": kind, "url": url, "text": text})

topics = list(PROSE)
# Prose (negative).
for i in range(70):
    t = rng.choice(topics)
    add("\n\n".join(prose(t, rng.randint(2, 4))), 0, "prose", f"https://{rng.choice(OTHER_DOMAINS)}/{t}/{i}")
# Technical prose without code blocks (negative); a few on code-ish domains.
for i in range(25):
    ps = rng.sample(TECH, rng.randint(2, 4))
    dom = rng.choice(CODE_DOMAINS) if i % 4 == 0 else rng.choice(OTHER_DOMAINS)
    add("\n\n".join(ps), 0, "tech_prose", f"https://{dom}/articles/{i}")
# Symbol-heavy non-code (negative).
for i in range(15):
    parts = [rng.choice(HARD)] + prose(rng.choice(topics), rng.randint(0, 2))
    rng.shuffle(parts)
    add("\n\n".join(parts), 0, "hard_negative", f"https://{rng.choice(OTHER_DOMAINS)}/misc/{i}")
langs = list(SNIPPETS)
# Prose with one code snippet (positive).
for i in range(60):
    lang = langs[i % len(langs)]
    j = rng.randrange(len(SNIPPETS[lang]))
    style = rng.choice(["fenced", "fenced", "indented", "bare"])
    parts = []
    if rng.random() < 0.5:
        parts += rng.sample(TECH, 1)
    if rng.random() < 0.3:
        parts.append(rng.choice(QUESTION))
    parts.append(INTRO[lang][j % len(INTRO[lang])])
    parts.append(render(SNIPPETS[lang][j], lang, style))
    parts.append(rng.choice(OUTRO))
    if rng.random() < 0.25:
        parts += prose(rng.choice(topics), 1)  # a blog that wanders off topic
    dom = rng.choice(CODE_DOMAINS) if rng.random() < 0.4 else rng.choice(OTHER_DOMAINS)
    add("\n\n".join(parts), 1, "prose_code", f"https://{dom}/posts/{lang}-{i}")
# Code-heavy pages (positive): READMEs, answers, docs with several blocks.
for i in range(30):
    ls = rng.sample(langs, rng.randint(1, 3))
    parts = [f"# {rng.choice(['Quick start', 'Examples', 'Cheat sheet', 'Answer', 'Usage'])}"]
    for lang in ls:
        for j in rng.sample(range(len(SNIPPETS[lang])), min(2, len(SNIPPETS[lang]))):
            parts.append(INTRO[lang][j % len(INTRO[lang])])
            parts.append(render(SNIPPETS[lang][j], lang, rng.choice(["fenced", "fenced", "indented"])))
    dom = rng.choice(CODE_DOMAINS) if rng.random() < 0.6 else rng.choice(OTHER_DOMAINS)
    add("\n\n".join(parts), 1, "code_page", f"https://{dom}/{ls[0]}/{i}")

# Harder cases, added after the first measurement (the scorer was not tuned on them).
HARD2_NEG = [
  "Changelog\n\nv2.3.0 -> v2.4.0: faster start-up, new dark theme, fixed a crash when the window was resized.\nv2.2.1 -> v2.3.0: added export to PDF; the settings page was redesigned.\nv2.2.0 -> v2.2.1: security fixes only.",
  "lol that match last night :) we were so close!!\nsame here ;) next time for sure\n{hug} thanks for the tickets btw\nno problem, see you saturday at the usual place",
  "city,population,area_km2\nLisbon,545000,100\nPorto,232000,41\nBraga,193000,183\nCoimbra,140000,319",
  "In the spreadsheet, type =SUM(B2:B13) in the last row to add up the monthly totals, and =AVERAGE(B2:B13) next to it for the mean. Format both cells as currency.",
  "Packing list for the weekend:\n- rain jacket\n- two pairs of socks\n- map of the valley (the old one is fine)\n- snacks for the train\n- charger!",
  "Q: Is the museum open on Mondays?\nA: No, it is closed on Mondays and public holidays.\nQ: Can I bring a bag?\nA: Small bags are fine; large ones go to the cloakroom.",
  "Score after round three: Team A 42 - Team B 39. Round four starts at 8:30 pm (doors at 8:00). Entry = 5 EUR; children under 12 free.",
  "Dear neighbours,\n\nthe water will be switched off on Tuesday between 9:00 and 13:00 for repairs to the main pipe. Please keep a few bottles ready.\n\nThank you for your patience,\nthe building committee",
  "Temperature readings (°C): Mon 12/18, Tue 11/17, Wed 9/15, Thu 10/16, Fri 13/21. The week ended warmer than it began, with clear skies on Friday afternoon.",
  "Chapter 3 -> Chapter 4: the heroine leaves the city, crosses the mountains in winter, and arrives at the monastery just before the pass is closed by snow.",
]
HARD2_POS = [
  ("css", "Centering a box is one of the first layout questions people ask.\n\n.box {\n  display: flex;\n  justify-content: center;\n  align-items: center;\n}\n\nThe same three properties work on any container."),
  ("html", "A minimal page needs only a few elements:\n\n<!DOCTYPE html>\n<html>\n  <head><title>Hello</title></head>\n  <body><p>Hello, world.</p></body>\n</html>\n\nSave it as index.html and open it in a browser."),
  ("php", "Reading a query parameter safely in PHP:\n\n<?php\n$name = htmlspecialchars($_GET['name'] ?? 'guest');\necho \"Hello, $name\";\n\nNever print user input without escaping it first."),
  ("ruby", "Ruby blocks make iteration short:\n\n```ruby\n[1, 2, 3].each do |n|\n  puts n * 2\nend\n```\n\nThe block runs once for every element."),
  ("kotlin", "Data classes in Kotlin generate equals and toString for you:\n\n    data class Point(val x: Int, val y: Int)\n    val p = Point(1, 2)\n    println(p)\n\nThat prints Point(x=1, y=2)."),
  ("python", "Two lines are enough to read a JSON file:\n\nwith open('config.json') as f:\n    config = json.load(f)\n\nRemember to import json at the top of the module."),
  ("shell", "To see which process is listening on port 8080, run:\n\nsudo lsof -i :8080\nkill -9 <PID>\n\nReplace <PID> with the number from the second column."),
  ("javascript", "My fix for the date bug was tiny. I changed\n\nconst d = new Date(s);\n\nto\n\nconst d = new Date(s + 'T00:00:00');\n\nand the off-by-one day disappeared for users west of Greenwich."),
  ("sql", "The slow page was caused by a missing index. Adding it fixed the problem:\n\nCREATE INDEX idx_orders_customer\n    ON orders (customer_id);\n\nThe page now loads in under 200 ms."),
  ("yaml", "Our CI configuration is short:\n\n```yaml\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n```\n\nEvery push runs the tests."),
]
for i, t in enumerate(HARD2_NEG):
    add(t, 0, "hard_negative_2", f"https://{rng.choice(OTHER_DOMAINS)}/page/{i}")
for i, (lang, t) in enumerate(HARD2_POS):
    add(t, 1, "hard_positive_2", f"https://{rng.choice(OTHER_DOMAINS)}/howto/{lang}-{i}")

rng.shuffle(docs)
for d in docs:
    print(json.dumps(d, ensure_ascii=False))
