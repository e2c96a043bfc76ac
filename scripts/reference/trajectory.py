#!/usr/bin/python3
"""Generates Tests/Fixtures/trajectory/trajectory.safetensors: N iterations of rate-M and BPTT-M by the paper's code.

The network is Tests/Fixtures/trajectory/trajectory_resnet.snn built from the reference's own layers (model/layer.py
LIFLayer + ReadOut, model/resnet.py BasicBlock, set up by model/model_setting.py), trained in float64 on the CPU with
the reference's step (experiment/*/main.py train(): zero_grad, reset_net, forward, CustomEvaluator loss, backward,
SGD momentum 0.9, weight decay 5e-4 on conv/linear weights only, through util/util.py split_params) from PyTorch's
default initialisation (seed 0) over N fixed batches of Fashion-MNIST. Both sides run in float64, so that no spike
flips on rounding and the test can hold SnnDsl to a float64 tolerance over all N iterations.

usage (Debian's python3-torch 1.13):
  REF_SRC=/tmp/ref /usr/bin/python3 scripts/reference/trajectory.py [--ratem-resnet /work/shared/reference/ratem-resnet]
      [--data /usr/share/datasets/fashion-mnist] [--out Tests/Fixtures/trajectory/trajectory.safetensors]
REF_SRC: an unpacked reference-src.tar.gz (ratebp/, spikingjelly/); --ratem-resnet: the folder holding refnet.py.
"""
import argparse, json, os, struct, sys, time

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--ratem-resnet', default='/work/shared/reference/ratem-resnet', help="the folder of refnet.py")
ap.add_argument('--data', default='/usr/share/datasets/fashion-mnist')
ap.add_argument('--out', default='Tests/Fixtures/trajectory/trajectory.safetensors')
ap.add_argument('--iters', type=int, default=60)
ap.add_argument('--every', type=int, default=10, help='checkpoint every K iterations')
ap.add_argument('--batch', type=int, default=16)
ap.add_argument('--T', type=int, default=4)
ap.add_argument('--seed', type=int, default=0, help='initial weights and the draw of training images')
ap.add_argument('--threads', type=int, default=2)
a = ap.parse_args()
if 'REF_SRC' not in os.environ:
    sys.exit('set REF_SRC to an unpacked reference-src.tar.gz (ratebp/ and spikingjelly/)')
sys.path.insert(0, os.path.abspath(a.ratem_resnet))

import refnet  # noqa: E402  (the reference's layers, SpikingJelly, the legacy JIT executor, Fashion-MNIST reader)
from refnet import torch, nn, KW, LIFLayer, ReadOut, BasicBlock  # noqa: E402

LR, MOMENTUM, WEIGHT_DECAY = 0.1, 0.9, 5e-4


class TrajectoryResNet(nn.Module):
    """trajectory_resnet.snn: stem conv3x3(8)+BN+LIF, 2x2 average pooling (28 -> 14), a BasicBlock at 8 (identity
    shortcut), a BasicBlock at 16 with stride 2 (1x1 conv + BN shortcut), global pooling, Linear(16 -> 10); laid out
    like the reference's ResNet class (model/resnet.py), so its state_dict order is the order SnnDsl loads by."""

    def __init__(self, num_classes=10, **kwargs_spikes):
        super().__init__()
        self.conv0 = nn.Sequential(nn.Conv2d(1, 8, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(8),
                                   LIFLayer(**kwargs_spikes))
        self.pool0 = nn.AvgPool2d(2)
        self.layer1 = nn.Sequential(BasicBlock(8, 8, 1, **kwargs_spikes))
        self.layer2 = nn.Sequential(BasicBlock(8, 16, 2, **kwargs_spikes))
        self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Linear(16, num_classes))
        self.readout = ReadOut()

    def forward(self, x):
        out = self.pool0(self.conv0(x))
        out = self.layer2(self.layer1(out))
        out = self.avg_pool(out).view(x.shape[0], -1)
        return self.readout(self.classifier(out))


def build(mode, T, initial):
    model = TrajectoryResNet(**KW)
    model.load_state_dict(initial)
    model.double()  # float64 throughout; num_batches_tracked stays int64
    setting = refnet.rate_model_setting if mode == 'rate' else refnet.bptt_model_setting
    setting(model, time_step=T, step_mode='m')
    return model


def train(mode, initial, images, labels, T):
    """The reference's step over every batch; {iteration: state_dict copy} every a.every iterations, and the losses."""
    model = build(mode, T, initial)
    decayed, not_decayed = refnet.split_params(model)[1:]
    optimizer = torch.optim.SGD([{'params': decayed, 'weight_decay': WEIGHT_DECAY}, {'params': not_decayed, 'weight_decay': 0}],
                                lr=LR, momentum=MOMENTUM)
    evaluator = refnet.CustomEvaluator(nn.CrossEntropyLoss(), mode, T)
    losses, states = [], {}
    for it in range(images.shape[0]):
        model.train()
        x = normalise(images[it])
        optimizer.zero_grad()
        output = refnet.forward(model, x, T)
        loss = evaluator(output, labels[it])
        loss.backward()
        optimizer.step()
        torch.set_grad_enabled(True)  # the rate model's forward pre-hook turns it off; its forward hook back on
        losses.append(float(loss))
        if (it + 1) % a.every == 0:
            states[it + 1] = {k: v.detach().clone() for k, v in model.state_dict().items()}
    return torch.tensor(losses, dtype=torch.float64), states


def normalise(u8):
    """(x/255 - mean)/std in float64, [B, 1, 28, 28]: the same three IEEE operations as the test performs."""
    return ((u8.to(torch.float64) / 255.0 - refnet.MEAN) / refnet.STD).unsqueeze(1)


def write_safetensors(path, tensors, metadata):
    kinds = {torch.float64: 'F64', torch.float32: 'F32', torch.int64: 'I64', torch.uint8: 'U8'}
    header, blobs, offset = {'__metadata__': metadata}, [], 0
    for name, t in tensors.items():
        blob = t.detach().contiguous().numpy().tobytes()  # little-endian on x86-64, as safetensors stores
        header[name] = {'dtype': kinds[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob); offset += len(blob)
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text))); f.write(text)
        for blob in blobs: f.write(blob)


def indexed(prefix, state):
    """state_dict tensors under PREFIX/II/NAME, II its position in the reference's state_dict order."""
    return {f'{prefix}/{i:02d}/{name}': t for i, (name, t) in enumerate(state.items())}


def main():
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    initial = {k: v.clone() for k, v in TrajectoryResNet(**KW).state_dict().items()}
    x = refnet._idx(os.path.join(a.data, 'train-images-idx3-ubyte.gz'))
    y = refnet._idx(os.path.join(a.data, 'train-labels-idx1-ubyte.gz'))
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(a.seed))[:a.iters * a.batch]
    images = torch.from_numpy(x.copy())[order].view(a.iters, a.batch, 28, 28)
    labels = torch.from_numpy(y.astype('int64'))[order].view(a.iters, a.batch)
    tau = next(m for m in TrajectoryResNet(**KW).modules() if isinstance(m, LIFLayer)).tau
    tensors = {'images': images, 'labels': labels, 'normalisation': torch.tensor([refnet.MEAN, refnet.STD], dtype=torch.float64),
               'T': torch.tensor(a.T), 'sgd': torch.tensor([LR, MOMENTUM, WEIGHT_DECAY], dtype=torch.float64)}
    tensors.update(indexed('init', initial))
    for mode, key in (('rate', 'rate_m'), ('bptt', 'bptt_m')):
        start = time.perf_counter()
        losses, states = train(mode, initial, images, labels, a.T)
        print(f'{key}: {a.iters} iterations in {time.perf_counter() - start:.1f} s, loss {losses[0]:.6f} -> {losses[-1]:.6f}', flush=True)
        tensors[f'{key}/loss'] = losses
        for it, state in states.items():
            tensors.update(indexed(f'{key}/{it}', state))
    write_safetensors(a.out, tensors, {'tau': repr(tau), 'iterations': str(a.iters), 'every': str(a.every),
                                       'generator': 'scripts/reference/trajectory.py', 'torch': torch.__version__})
    print(f'wrote {a.out} ({os.path.getsize(a.out)} bytes); LIF tau = {tau!r}')


main()
