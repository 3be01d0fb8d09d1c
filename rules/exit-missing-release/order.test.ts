// Exit order a patch turns around (order.ts), on uvesafb's init and exit of Linux 6.12 (trimmed):
// the connector callback, set up first, is given back last; a patch that moves it first is
// reported, one that keeps or restores the reverse order is not, nor an order the pre-image
// already had.
import { describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { moduleBook } from '../../src/engine/kernel/pairs.js';
import { introducedInversions } from './order.js';

const PATH = 'drivers/video/fbdev/uvesafb.c';

function uvesafb(exitBody: string): string {
  return `#include <linux/module.h>
static int __init uvesafb_init(void)
{
	int err;

	err = cn_add_callback(&uvesafb_cn_id, "uvesafb", uvesafb_cn_callback);
	if (err)
		return err;
	err = platform_driver_register(&uvesafb_driver);
	if (err)
		goto err_cn;
	err = driver_create_file(&uvesafb_driver.driver, &driver_attr_v86d);
	if (err)
		goto err_drv;
	return 0;
err_drv:
	platform_driver_unregister(&uvesafb_driver);
err_cn:
	cn_del_callback(&uvesafb_cn_id);
	return err;
}

static void __exit uvesafb_exit(void)
{
${exitBody}
}

module_init(uvesafb_init);
module_exit(uvesafb_exit);
MODULE_LICENSE("GPL");
`;
}

const REVERSE = '\tdriver_remove_file(&uvesafb_driver.driver, &driver_attr_v86d);\n\tplatform_driver_unregister(&uvesafb_driver);\n\tcn_del_callback(&uvesafb_cn_id);';
const CN_FIRST = '\tcn_del_callback(&uvesafb_cn_id);\n\tdriver_remove_file(&uvesafb_driver.driver, &driver_attr_v86d);\n\tplatform_driver_unregister(&uvesafb_driver);';

const moved = (pre: string, post: string) => {
  const a = extractFacts(PATH, pre);
  const b = extractFacts(PATH, post);
  return introducedInversions(a, b, (f) => moduleBook(f)).map((v) => `${v.early.release.callee}<${v.late.release.callee}`);
};

describe('introducedInversions', () => {
  it('reports a release of an early step moved ahead of a later one', () => {
    expect(moved(uvesafb(REVERSE), uvesafb(CN_FIRST))).toEqual(['cn_del_callback<driver_remove_file']);
  });

  it('is silent for the fix (reverse order restored) and for an order the pre-image had', () => {
    expect(moved(uvesafb(CN_FIRST), uvesafb(REVERSE))).toEqual([]);
    expect(moved(uvesafb(CN_FIRST), uvesafb(CN_FIRST))).toEqual([]);
  });

  it('is silent when the early release is new to exit (an addition, not a move)', () => {
    const without = '\tdriver_remove_file(&uvesafb_driver.driver, &driver_attr_v86d);\n\tplatform_driver_unregister(&uvesafb_driver);';
    expect(moved(uvesafb(without), uvesafb(CN_FIRST))).toEqual([]);
  });

  // net/sunrpc/rpc_pipe.c of Linux 6.12 (trimmed): helpers another file's init and exit call,
  // paired by their register/unregister names ("sunrpc: destroy rpc_inode_cachep after
  // unregister_filesystem", reversed).
  const pipefs = (teardown: string) => `#include <linux/fs.h>
int register_rpc_pipefs(void)
{
	int err;

	rpc_inode_cachep = kmem_cache_create("rpc_inode_cache", sizeof(struct rpc_inode), 0, 0, NULL);
	if (!rpc_inode_cachep)
		return -ENOMEM;
	err = register_filesystem(&rpc_pipe_fs_type);
	if (err) {
		kmem_cache_destroy(rpc_inode_cachep);
		return err;
	}
	return 0;
}

void unregister_rpc_pipefs(void)
{
${teardown}
}
`;
  const FS_FIRST = '\tunregister_filesystem(&rpc_pipe_fs_type);\n\tkmem_cache_destroy(rpc_inode_cachep);';
  const CACHE_FIRST = '\tkmem_cache_destroy(rpc_inode_cachep);\n\tunregister_filesystem(&rpc_pipe_fs_type);';

  it('pairs register_x()/unregister_x() helpers by name', () => {
    const a = extractFacts('net/sunrpc/rpc_pipe.c', pipefs(FS_FIRST));
    const b = extractFacts('net/sunrpc/rpc_pipe.c', pipefs(CACHE_FIRST));
    expect(introducedInversions(a, b, (f) => moduleBook(f)).map((v) => `${v.init.name}: ${v.early.release.callee}<${v.late.release.callee}`)).toEqual(['register_rpc_pipefs: kmem_cache_destroy<unregister_filesystem']);
    expect(introducedInversions(b, a, (f) => moduleBook(f))).toEqual([]);
  });
});
