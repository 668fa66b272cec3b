#version 450
// fill: data[i] = value for i < n.
// Grid-stride loop, so any group count covers any n.

layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) writeonly buffer Data { float data[]; };

layout(push_constant, std430) uniform Push {
    uint n;
    float value;
};

void main() {
    uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) {
        data[i] = value;
    }
}
