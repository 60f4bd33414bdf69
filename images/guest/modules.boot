# Kernel modules loaded at every boot, in this order, with their
# dependencies (resolved at build time with modprobe --show-depends).
# A name that is built into the kernel is accepted and skipped.
virtio_pci
virtio_blk
virtio_net
virtio_console
virtio_rng
button
evdev
overlay
veth
bridge
br_netfilter
vxlan
8021q
tun
sch_netem
nf_tables
nf_conntrack
nf_nat
nft_ct
nft_nat
nft_masq
nft_chain_nat
nft_reject_inet
nft_fib_inet
