npx workerd serve workerd.capnp
