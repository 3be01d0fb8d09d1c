// A two-file module for cross-file review tests: foo_core_register() can return -EBUSY, and
// main.c's module_init either propagates its result or ignores it.
export const CORE = 'int foo_core_register(int x)\n{\n\tif (x)\n\t\treturn -EBUSY;\n\treturn 0;\n}\n';

export const mainC = (propagates: boolean): string =>
  `#include <linux/module.h>
static int __init foo_init(void)
{
${propagates ? '\treturn foo_core_register(1);' : '\tfoo_core_register(1);\n\treturn 0;'}
}
static void __exit foo_exit(void)
{
}
module_init(foo_init);
module_exit(foo_exit);
MODULE_LICENSE("GPL");
`;
