// A local allocation the function freed itself before the patch stays its own to free: a patch
// that keeps the kzalloc() and drops the kfree() (with its label) leaks it on the failure path
// (bcm2835_timer_init(), Linux 6.12, the upstream fix reversed). Without the pre-image nothing
// says the function owns the memory (it may hand it on), and nothing is reported. Also the
// rule's other checks that a few lines show best: use after free, unwind loops one step off.
import { describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { analyseUnwind } from '../../src/engine/kernel/unwind.js';
import { usesAfterFree } from './freed.js';
import { offByOneUnwinds } from './unwind-loop.js';

const PATH = 'drivers/clocksource/bcm2835_timer.c';

function timerInit(unwind: string, target: string): string {
  return `static int __init bcm2835_timer_init(struct device_node *node)
{
	void __iomem *base;
	int irq, ret;
	struct bcm2835_timer *timer;

	base = of_iomap(node, 0);
	if (!base)
		return -ENXIO;

	timer = kzalloc(sizeof(*timer), GFP_KERNEL);
	if (!timer) {
		ret = -ENOMEM;
		goto err_iounmap;
	}

	ret = request_irq(irq, bcm2835_time_interrupt, IRQF_TIMER, node->name, timer);
	if (ret) {
		pr_err("Can't set up timer IRQ\\n");
		goto ${target};
	}

	clockevents_config_and_register(&timer->evt, freq, 0xf, 0xffffffff);
	return 0;
${unwind}
err_iounmap:
	iounmap(base);
	return ret;
}
TIMER_OF_DECLARE(bcm2835, "brcm,bcm2835-system-timer", bcm2835_timer_init);
`;
}

const fn = (src: string) => {
  const facts = extractFacts(PATH, src);
  return { facts, fn: facts.functions.find((f) => f.name === 'bcm2835_timer_init')! };
};

describe('analyseUnwind with the pre-image', () => {
  const pre = fn(timerInit('\nerr_timer_free:\n\tkfree(timer);\n', 'err_timer_free'));
  const post = fn(timerInit('', 'err_iounmap'));
  const leaked = (r: ReturnType<typeof analyseUnwind>) => r.leaks.map((l) => `${l.held.call.callee}(${l.held.id})@${l.exitLine}`);

  it('reports the allocation the pre-image freed and the patch no longer does', () => {
    expect(leaked(analyseUnwind(post.fn, post.facts, { before: pre.fn }))).toEqual(['kzalloc(timer)@20']);
  });

  it('says nothing of it without the pre-image, and nothing for the pre-image itself', () => {
    expect(leaked(analyseUnwind(post.fn, post.facts))).toEqual([]);
    expect(leaked(analyseUnwind(pre.fn, pre.facts, { before: pre.fn }))).toEqual([]);
  });
});

describe('usesAfterFree', () => {
  const uses = (body: string) => usesAfterFree(fn(`static int __init bcm2835_timer_init(struct device_node *node)\n{\n${body}\n}\n`).fn).map((u) => `${u.object}@${u.useLine}`);

  it('reports a read through the object after its kfree()', () => {
    expect(uses('\tif (IS_ERR(t->d)) {\n\t\tkfree(t);\n\t\treturn PTR_ERR(t->d);\n\t}\n\treturn 0;')).toEqual(['t@5']);
  });

  it('is silent when the read comes first, or the object gets a new value', () => {
    expect(uses('\tif (IS_ERR(t->d)) {\n\t\tret = PTR_ERR(t->d);\n\t\tkfree(t);\n\t\treturn ret;\n\t}\n\treturn 0;')).toEqual([]);
    expect(uses('\tkfree(t);\n\tt = NULL;\n\tpr_err("%p", t->d);\n\treturn 0;')).toEqual([]);
  });

  it('is silent across a label: another path joins there', () => {
    expect(uses('\tkfree(t);\nout:\n\treturn t->err;')).toEqual([]);
  });
});

describe('offByOneUnwinds', () => {
  const loops = (body: string) =>
    offByOneUnwinds(fn(`static int __init bcm2835_timer_init(struct device_node *node)\n{\n${body}\n}\n`).fn, (c) => /free|put/.test(c), (c) => (c === 'kobject_init_and_add' ? ['kobject_put'] : [])).map((o) => o.loop.line);
  const ladder = (site: string, release: string) =>
    `\tfor (i = 0; i < n; i++) {\n\t\tp[i] = kzalloc(8, GFP_KERNEL);\n\t\tif (!p[i]) {\n${site}\t\t\tgoto err;\n\t\t}\n\t}\n\treturn 0;\nerr:\n\tfor (; i >= 0; i--)\n\t\t${release};\n\treturn -ENOMEM;`;

  it('reports a count-down loop that starts at the element that failed', () => {
    expect(loops(ladder('', 'kfree(p[i])'))).toEqual([11]);
  });

  it('is silent when the jump steps back first, or the failed call still needs the release', () => {
    expect(loops(ladder('\t\t\ti--;\n', 'kfree(p[i])'))).toEqual([]);
    expect(loops(ladder('', 'kobject_put(&p[i]->kobj)').replace('p[i] = kzalloc(8, GFP_KERNEL);', 'kobject_init_and_add(&p[i]->kobj, &t, NULL, "x");'))).toEqual([]);
  });
});
