package vk

// stagingSize caps the host-visible buffer that Write and Read pass through
// on devices whose device memory the host cannot map.
const stagingSize = 16 << 20

// stager moves bytes between the host and device-only buffers.
type stager struct {
	buf  *Buffer
	cmds *Commands
}

// staged copies data into (toDevice) or out of b at byte offset off through
// the staging buffer, one chunk per submission.
func (d *Device) staged(b *Buffer, off int64, data []byte, toDevice bool) error {
	st, err := d.stager()
	if err != nil {
		return err
	}
	for len(data) > 0 {
		n := min(len(data), len(st.buf.host))
		if toDevice {
			copy(st.buf.host, data[:n])
		}
		if err := st.copy(b, off, n, toDevice); err != nil {
			return err
		}
		if !toDevice {
			copy(data[:n], st.buf.host)
		}
		off += int64(n)
		data = data[n:]
	}
	return nil
}

// copy records and runs one copy of n bytes between the staging buffer and
// b at byte offset off.
func (st *stager) copy(b *Buffer, off int64, n int, toDevice bool) error {
	c := st.cmds
	if err := c.Begin(); err != nil {
		return err
	}
	if toDevice {
		c.Copy(b, off, st.buf, 0, int64(n))
	} else {
		c.Copy(st.buf, 0, b, off, int64(n))
	}
	if err := c.End(); err != nil {
		return err
	}
	return c.Run()
}

// stager returns the device's staging buffer and command buffer, creating
// them on first use.
func (d *Device) stager() (*stager, error) {
	if d.stage != nil {
		return d.stage, nil
	}
	size := int64(stagingSize)
	if d.stagingBytes > 0 {
		size = d.stagingBytes
	}
	buf, err := d.NewBuffer(size, HostMemory)
	if err != nil {
		return nil, err
	}
	cmds, err := d.NewCommands()
	if err != nil {
		buf.Close()
		return nil, err
	}
	d.stage = &stager{buf, cmds}
	return d.stage, nil
}
